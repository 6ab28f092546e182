using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Anvil.Server.Features.Desktop;

/// <summary>
/// <c>/api/desktop/installers</c> and <c>/api/desktop/dependencyPackages</c>: manifests (list, create,
/// change sources, delete; admins write, every logged-in user reads) and their files (<c>PUT</c> uploads
/// the raw body, <c>GET</c>/<c>HEAD</c> downloads with Content-Length, ETag and a single <c>Range</c>).
/// </summary>
public static class DesktopEndpoints
{
    public static void MapDesktopEndpoints(this RouteGroupBuilder api)
    {
        var desktop = api.MapGroup("/desktop").WithTags("Desktop");
        Map(desktop, "/installers", DesktopKind.Installer, "installer", "installers");
        Map(desktop, "/dependencyPackages", DesktopKind.DependencyPackage, "dependency_package", "dependency_packages");
    }

    static void Map(RouteGroupBuilder desktop, string path, DesktopKind kind, string singular, string plural)
    {
        var group = desktop.MapGroup(path);
        group.MapGet("", (DesktopStore store, CurrentUser user, HttpContext http, string? platform = null, string? version = null) =>
                ListAsync(kind, store, platform, version, http.RequestAborted))
            .WithName($"list_{plural}").WithSummary($"The {plural.Replace('_', ' ')} (logged-in users); ?platform= filters.");
        group.MapPost("", (JsonObject body, DesktopStore store, CurrentUser user, HttpContext http) => CreateAsync(kind, body, store, user, http.RequestAborted))
            .WithName($"create_{singular}").WithSummary($"Register a {singular.Replace('_', ' ')} manifest (admins); upload its file with PUT.");
        group.MapMethods("/{filename}", [HttpMethods.Get, HttpMethods.Head], (string filename, DesktopStore store, CurrentUser user, HttpContext http) =>
                DownloadAsync(kind, filename, store, http))
            .WithName(kind == DesktopKind.Installer ? "download_installer_file" : "download_dependency_package").WithSummary("The uploaded file; Range, If-Range and HEAD are supported.");
        group.MapPut("/{filename}", (string filename, DesktopStore store, CurrentUser user, HttpContext http) => UploadAsync(kind, filename, store, user, http))
            .AcceptsRawBody()
            .WithName(kind == DesktopKind.Installer ? "upload_installer_file" : "upload_dependency_package").WithSummary("Upload the file of a registered manifest (admins); its size and checksum must match.");
        group.MapPatch("/{filename}", (string filename, JsonObject body, DesktopStore store, CurrentUser user, HttpContext http) =>
                PatchAsync(kind, filename, body, store, user, http.RequestAborted))
            .WithName(kind == DesktopKind.Installer ? "patch_installer" : "update_dependency_package").WithSummary("Replace the manifest's sources (admins).");
        group.MapDelete("/{filename}", (string filename, DesktopStore store, CurrentUser user, HttpContext http) =>
                DeleteAsync(kind, filename, store, user, http.RequestAborted))
            .WithName(kind == DesktopKind.Installer ? "delete_installer_file" : "delete_dependency_package")
            .WithSummary("Delete the manifest and its file (admins).");
    }

    static async Task<JsonObject> ListAsync(DesktopKind kind, DesktopStore store, string? platform, string? version, CancellationToken cancellationToken)
    {
        if (platform is not null && !DesktopManifest.Platforms.Contains(platform))
            throw BadRequest.Field("platform", "must be windows, linux or darwin");
        var items = new JsonArray();
        foreach (var row in await store.ListAsync(kind, platform, cancellationToken))
        {
            if (version is not null && row.Manifest[kind == DesktopKind.Installer ? "version" : "installerVersion"]?.GetValue<string>() != version)
                continue;
            items.Add(row.Manifest.DeepClone());
        }
        return new JsonObject { [kind == DesktopKind.Installer ? "installers" : "packages"] = items };
    }

    static async Task<IResult> CreateAsync(DesktopKind kind, JsonObject body, DesktopStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        RequireAdmin(user, kind);
        await store.CreateAsync(kind, DesktopManifest.Validate(kind, body), cancellationToken);
        return Results.Created((string?)null, null);
    }

    static async Task<IResult> PatchAsync(DesktopKind kind, string filename, JsonObject body, DesktopStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        RequireAdmin(user, kind);
        if (!body.ContainsKey("sources"))
            throw BadRequest.Field("sources", "is required");
        if (!await store.SetSourcesAsync(kind, filename, DesktopManifest.Sources(body["sources"], "sources"), cancellationToken))
            throw NotFoundError(kind, filename);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(DesktopKind kind, string filename, DesktopStore store, CurrentUser user, CancellationToken cancellationToken)
    {
        RequireAdmin(user, kind);
        if (!await store.DeleteAsync(kind, filename, cancellationToken))
            throw NotFoundError(kind, filename);
        return Results.NoContent();
    }

    static async Task<IResult> UploadAsync(DesktopKind kind, string filename, DesktopStore store, CurrentUser user, HttpContext http)
    {
        RequireAdmin(user, kind);
        var target = await store.GetAsync(kind, filename, http.RequestAborted) ?? throw NotFoundError(kind, filename);
        var size = target.Manifest["size"]!.GetValue<long>();
        if (http.Request.ContentLength is { } length && length != size)
            throw BadRequest.Field("size", $"the upload has {length} bytes (Content-Length), the manifest says {size}");
        // The store stops reading one byte past the manifest's size, so no framework limit is needed.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = null;
        await store.UploadAsync(kind, target, http.Request.Body, http.RequestAborted);
        return Results.NoContent();
    }

    static async Task DownloadAsync(DesktopKind kind, string filename, DesktopStore store, HttpContext http)
    {
        var row = await store.GetAsync(kind, filename, http.RequestAborted) ?? throw NotFoundError(kind, filename);
        if (row is not { FileId: { } fileId, FileSize: { } size, FileSha256: { } sha })
            throw new NotFound($"{DesktopManifest.Noun(kind)} {filename} has no uploaded file");
        var response = http.Response;
        var etag = new EntityTagHeaderValue($"\"{sha}\"");
        response.Headers.ETag = etag.ToString();
        response.Headers.AcceptRanges = "bytes";
        response.Headers.CacheControl = "no-cache";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = filename }.ToString();
        response.ContentType = ContentType(filename);

        if (http.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } ifNoneMatch
            && EntityTagHeaderValue.TryParseList(ifNoneMatch.Split(','), out var tags)
            && tags.Any(t => t.Tag == "*" || t.Tag == etag.Tag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        long start = 0, length = size;
        if (RequestedRange(http.Request, etag, size) is { } range)
        {
            if (range.Start < 0)
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{size}";
                return;
            }
            (start, length) = range;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{size}";
        }
        response.ContentLength = length;
        if (HttpMethods.IsHead(http.Request.Method) || length == 0)
            return;
        await store.CopyRangeAsync(fileId, start, length, response.Body, http.RequestAborted);
    }

    /// <summary>
    /// The one byte range asked for, or null for the whole file (no Range, several ranges, another unit,
    /// or an If-Range that no longer matches). A range past the end answers (-1, 0): 416.
    /// </summary>
    static (long Start, long Length)? RequestedRange(HttpRequest request, EntityTagHeaderValue etag, long size)
    {
        var header = request.Headers.Range.ToString();
        if (header.Length == 0 || !RangeHeaderValue.TryParse(header, out var parsed) || parsed.Unit != "bytes" || parsed.Ranges.Count != 1)
            return null;
        if (request.Headers.IfRange.ToString() is { Length: > 0 } ifRange
            && (!EntityTagHeaderValue.TryParse(ifRange, out var condition) || condition.IsWeak || condition.Tag != etag.Tag))
            return null;
        var item = parsed.Ranges.Single();
        long start, end;
        if (item.From is { } from)
        {
            if (from >= size)
                return (-1, 0);
            start = from;
            end = item.To is { } to ? Math.Min(to, size - 1) : size - 1;
        }
        else if (item.To is { } suffix && suffix > 0)
        {
            if (size == 0)
                return (-1, 0);
            start = Math.Max(0, size - suffix);
            end = size - 1;
        }
        else
            return (-1, 0);
        return (start, end - start + 1);
    }

    static string ContentType(string filename) =>
        filename.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? "application/zip"
        : filename.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? "application/gzip"
        : filename.EndsWith(".dmg", StringComparison.OrdinalIgnoreCase) ? "application/x-apple-diskimage"
        : "application/octet-stream";

    static void RequireAdmin(CurrentUser user, DesktopKind kind)
    {
        if (!user.IsAdmin)
            throw new Forbidden($"Only admins may change {(kind == DesktopKind.Installer ? "installers" : "dependency packages")}");
    }

    static NotFound NotFoundError(DesktopKind kind, string filename) => new($"{DesktopManifest.Noun(kind)} {filename} not found");
}
