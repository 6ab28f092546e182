using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;

namespace Anvil.Server.Hosting;

/// <summary>
/// A JSON answer serialized once and kept (the addon catalogue, the aggregate settings), with its gzip
/// form made once too: the official client, the launcher and browsers all send
/// <c>Accept-Encoding: gzip</c>, and for answers of a hundred kilobytes the bytes copied, not the work,
/// bound the rate.
/// </summary>
public sealed class PreparedJson
{
    /// <summary>Below this, compressing saves less than it costs the client.</summary>
    const int CompressFrom = 1024;

    readonly byte[] _raw;
    readonly byte[]? _gzip;

    public PreparedJson(JsonNode json)
    {
        _raw = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(AyonJson.Options));
        if (_raw.Length >= CompressFrom)
        {
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                gzip.Write(_raw);
            _gzip = compressed.ToArray();
        }
    }

    /// <summary>The answer: gzipped when the request accepts it, as is otherwise.</summary>
    public IResult ToResult(HttpContext http)
    {
        if (_gzip is null)
            return Results.Bytes(_raw, "application/json");
        http.Response.Headers.Vary = HeaderNames.AcceptEncoding;
        if (!AcceptsGzip(http.Request))
            return Results.Bytes(_raw, "application/json");
        http.Response.Headers.ContentEncoding = "gzip";
        return Results.Bytes(_gzip, "application/json");
    }

    static bool AcceptsGzip(HttpRequest request) =>
        request.GetTypedHeaders().AcceptEncoding.Any(e =>
            (e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) || e.Value.Equals("*", StringComparison.Ordinal))
            && (e.Quality ?? 1) > 0);
}
