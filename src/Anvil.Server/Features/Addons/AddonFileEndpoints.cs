using System.Security.Cryptography;
using System.Text;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// An addon version's static files: <c>/addons/{name}/{version}/private/...</c> (logged-in users),
/// <c>/public/...</c> (anyone) and <c>/frontend/...</c> (logged-in users; the version's
/// <c>frontend/dist/</c>, <c>index.html</c> for the folder itself). Served from this instance's
/// unpacked copy, made on first use; only files in the version's stored file index are served, with a
/// strong ETag (the package is immutable per SHA-256), <c>Range</c> and <c>HEAD</c>.
/// </summary>
public static class AddonFileEndpoints
{
    static readonly FileExtensionContentTypeProvider ContentTypes = new()
    {
        // As Python's mimetypes (and so AYON) name them, where ASP.NET's table differs.
        Mappings = { [".zip"] = "application/zip", [".js"] = "text/javascript", [".mjs"] = "text/javascript" },
    };
    static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static void MapAddonFileEndpoints(this RouteGroupBuilder root)
    {
        var files = root.MapGroup("/addons/{addonName}/{addonVersion}").WithTags("Addons");
        files.MapMethods("/private/{**path}", GetAndHead, (string addonName, string addonVersion, string? path, HttpContext http, AddonStore store, AddonMaterializer materializer) =>
                ServeAsync(addonName, addonVersion, "private/", path, http, store, materializer))
            .WithName("get_addon_private_file").WithSummary("A file of the addon version's private folder (logged-in users).");
        files.MapMethods("/public/{**path}", GetAndHead, (string addonName, string addonVersion, string? path, HttpContext http, AddonStore store, AddonMaterializer materializer) =>
                ServeAsync(addonName, addonVersion, "public/", path, http, store, materializer))
            .AllowAnonymous()
            .WithName("get_addon_public_file").WithSummary("A file of the addon version's public folder (anyone).");
        files.MapMethods("/frontend/{**path}", GetAndHead, (string addonName, string addonVersion, string? path, HttpContext http, AddonStore store, AddonMaterializer materializer) =>
                ServeAsync(addonName, addonVersion, "frontend/dist/", string.IsNullOrEmpty(path) ? "index.html" : path, http, store, materializer))
            .WithName("get_addon_frontend_file").WithSummary("A file of the addon version's web UI (frontend/dist; logged-in users).");
        files.MapMethods("/frontend", GetAndHead, (string addonName, string addonVersion, HttpContext http, AddonStore store, AddonMaterializer materializer) =>
                ServeAsync(addonName, addonVersion, "frontend/dist/", "index.html", http, store, materializer))
            .WithName("get_addon_frontend_index").WithSummary("The addon version's web UI entry page (logged-in users).");
    }

    static async Task<IResult> ServeAsync(string name, string version, string folder, string? path, HttpContext http, AddonStore store,
        AddonMaterializer materializer)
    {
        var notFound = new NotFound($"File {path} of addon {name} {version} not found");
        if (!IsSafe(path))
            throw notFound;
        var relative = folder + path;
        var installed = await store.FilesAsync(name, version, http.RequestAborted)
            ?? throw new NotFound($"Addon {name} {version} not found");
        if (!installed.Files.ContainsKey(relative))
            throw notFound;
        var root = Path.GetFullPath(await materializer.EnsureAsync(installed, http.RequestAborted));
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(full))
            throw notFound;
        if (!ContentTypes.TryGetContentType(full, out var contentType))
            contentType = "application/octet-stream";
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{installed.PackageSha256}\n{relative}")))[..32];
        // A name+version can be reinstalled with other bytes under the same URL: clients revalidate (cheaply, by ETag).
        http.Response.Headers.CacheControl = "no-cache";
        return Results.File(full, contentType, fileDownloadName: null, lastModified: null,
            entityTag: new EntityTagHeaderValue($"\"{tag}\""), enableRangeProcessing: true);
    }

    /// <summary>A relative, '/'-separated path with no empty, '.' or '..' segment, no backslash and no NUL.</summary>
    static bool IsSafe(string? path) =>
        !string.IsNullOrEmpty(path)
        && path.IndexOfAny(['\\', '\0']) < 0
        && !path.StartsWith('/')
        && !Path.IsPathRooted(path)
        && path.Split('/').All(segment => segment is not ("" or "." or ".."));
}
