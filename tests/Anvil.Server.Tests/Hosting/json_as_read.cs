using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;

namespace Anvil.Server.Tests.Hosting;

/// <summary>
/// A node read from JSON and unchanged answers the element it was read from, so a write sends the
/// request's own bytes instead of serialising it again; once built, changed or walked, it does not.
/// This pins the runtime's internal answer <see cref="AyonJson.AsRead"/> relies on.
/// </summary>
public sealed class json_as_read
{
    const string Sent = """{"data": {"text": "\u00e9 \"q\"", "n": 1.50, "list": [1, {"a": null}]}, "files": [ {"id": "x"} ]}""";

    static JsonObject Bound() => JsonSerializer.Deserialize<JsonObject>(Sent)!;

    [Fact]
    public void an_unchanged_value_read_from_json_answers_its_own_bytes()
    {
        var data = Bound()["data"]!;
        Assert.Equal(JsonValueKind.Object, AyonJson.AsRead(data)?.ValueKind);
        Assert.Equal("""{"text": "\u00e9 \"q\"", "n": 1.50, "list": [1, {"a": null}]}""", Encoding.UTF8.GetString(AyonJson.ColumnBytes(data)));
        var copy = data.DeepClone();
        Assert.Equal(Encoding.UTF8.GetString(AyonJson.ColumnBytes(data)), Encoding.UTF8.GetString(AyonJson.ColumnBytes(copy)));
        Assert.Equal(JsonValueKind.Array, AyonJson.AsRead(Bound()["files"])?.ValueKind);
        Assert.Equal(JsonValueKind.Number, AyonJson.AsRead(data["n"])?.ValueKind);
    }

    [Fact]
    public void a_value_built_changed_or_walked_is_serialised_again()
    {
        var built = new JsonObject { ["a"] = 1 };
        Assert.Null(AyonJson.AsRead(built));
        Assert.Null(AyonJson.AsRead(JsonValue.Create(5)));
        Assert.Null(AyonJson.AsRead(null));
        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(AyonJson.ColumnBytes(built)));

        var changed = Bound()["data"]!.AsObject();
        changed["added"] = true;
        Assert.Null(AyonJson.AsRead(changed));
        Assert.Equal("""{"text":"\u00E9 \u0022q\u0022","n":1.50,"list":[1,{"a":null}],"added":true}""", Encoding.UTF8.GetString(AyonJson.ColumnBytes(changed)));

        var walked = Bound()["files"]!.AsArray();
        _ = walked.Count;
        Assert.Null(AyonJson.AsRead(walked));
    }
}
