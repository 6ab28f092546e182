using Anvil.Server.Hosting;
using Microsoft.AspNetCore.StaticFiles;

namespace Anvil.Server.Features.Frontend;

/// <summary>
/// Serves a studio-supplied build of the AYON web UI at <c>/</c>, the way AYON does: mapped after every
/// API route, <c>index.html</c> and <c>remoteEntry.js</c> never cached, and any other unknown path
/// answered with <c>index.html</c> (the UI routes on the client) except under <c>api/</c> and
/// <c>addons/</c>, which keep their JSON 404. Without a build, <c>/</c> is Anvil's own landing page.
/// <c>/static</c> serves the customisation files (login background, logo) from their own folder.
/// </summary>
public static class FrontendEndpoints
{
    static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>Files whose names stay the same from one build to the next, so a browser must ask again each time.</summary>
    static readonly string[] UncachedFiles = ["index.html", "remoteEntry.js"];

    /// <summary>Prefixes whose unknown paths are API misses, not UI routes.</summary>
    static readonly string[] ApiPrefixes = ["api", "addons"];

    static readonly string[] ReadMethods = [HttpMethods.Get, HttpMethods.Head];

    public static void MapFrontendEndpoints(this IEndpointRouteBuilder app, AyonOptions options)
    {
        var frontend = Folder(options.FrontendDir);
        app.MapMethods("/", ReadMethods, (HttpContext context) => frontend is null
                ? Results.Content(LandingPage(options.FrontendDir), "text/html")
                : Send(context, frontend, "index.html"))
            .AllowAnonymous().ExcludeFromDescription();

        if (Folder(options.StaticDir) is { } customisation)
            app.MapMethods("/static/{**path}", ReadMethods, (HttpContext context, string? path) =>
                    Resolve(customisation, path) is { } file && File.Exists(file) ? Send(context, customisation, path!) : throw Missing(context))
                .AllowAnonymous().ExcludeFromDescription();

        if (frontend is null)
            return;
        // The fallback only ever matches when no other route does, and only for reads, so a wrong method
        // on an API route still answers 405.
        app.MapFallback("{**path}", context =>
            {
                var path = context.Request.Path.Value?.TrimStart('/') ?? "";
                if (Resolve(frontend, path) is { } file && File.Exists(file))
                    return Send(context, frontend, path).ExecuteAsync(context);
                var first = path.Split('/', 2)[0];
                if (ApiPrefixes.Contains(first, StringComparer.Ordinal))
                    throw Missing(context);
                return Send(context, frontend, "index.html").ExecuteAsync(context);
            })
            .WithMetadata(new HttpMethodMetadata(ReadMethods))
            .AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>The full path of an existing folder, or null when it is unset or missing.</summary>
    static string? Folder(string? path) =>
        string.IsNullOrWhiteSpace(path) || !Directory.Exists(path) ? null : Path.GetFullPath(path);

    /// <summary>The file a URL path names inside <paramref name="root"/>, or null when it would leave it.</summary>
    static string? Resolve(string root, string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0'))
            return null;
        var full = Path.GetFullPath(Path.Combine(root, path));
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    static IResult Send(HttpContext context, string root, string path)
    {
        var file = Resolve(root, path)!;
        if (UncachedFiles.Contains(Path.GetFileName(file), StringComparer.Ordinal))
            context.Response.Headers.CacheControl = "no-cache";
        var type = ContentTypes.TryGetContentType(file, out var known) ? known : "application/octet-stream";
        return Results.File(file, type, enableRangeProcessing: true);
    }

    /// <summary>The same 404 an unknown path gets without a web UI.</summary>
    static NotFound Missing(HttpContext context) => new(context.Request.Path.StartsWithSegments("/api")
        ? $"API endpoint {context.Request.Path} not found"
        : $"{context.Request.Path} not found");

    static string LandingPage(string frontendDir) => $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Anvil</title></head>
        <body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
        <h1>Anvil</h1>
        <p>A production-pipeline server speaking the AYON API.</p>
        <ul><li><a href="/api/info">/api/info</a></li><li><a href="/docs">API documentation</a></li></ul>
        <p>No web UI is served here. To serve your studio's build of the AYON web UI, set
        <code>AYON_FRONTEND_DIR</code> to the folder holding its <code>index.html</code>
        (now: <code>{System.Net.WebUtility.HtmlEncode(frontendDir)}</code>, which does not exist) and restart.</p>
        </body></html>
        """;
}
