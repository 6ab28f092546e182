using System.Text.Json.Nodes;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>Small shared types of AYON's schema that the web UI's queries name.</summary>
public static class WebUiTypes
{
    public static IEnumerable<IGraphType> Types()
    {
        var thumbnail = new ObjectGraphType { Name = "ThumbnailInfo", Description = "Which thumbnail an entity shows and where it comes from." };
        thumbnail.AddField(GraphTypes.Field("id", new NonNullGraphType(new StringGraphType()), c => Text(c.Source, "id")));
        thumbnail.AddField(GraphTypes.Field("relation", new StringGraphType(), c => Text(c.Source, "relation")));
        thumbnail.AddField(GraphTypes.Field("sourceEntityId", new StringGraphType(), c => Text(c.Source, "sourceEntityId")));
        thumbnail.AddField(GraphTypes.Field("sourceEntityType", new StringGraphType(), c => Text(c.Source, "sourceEntityType")));
        yield return thumbnail;
    }

    static string? Text(object? source, string key) =>
        (source as JsonObject)?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
