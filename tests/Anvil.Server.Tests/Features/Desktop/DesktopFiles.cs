using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Desktop;

/// <summary>Installer and dependency-package bodies as the official client sends them, and the raw upload it makes.</summary>
public static class DesktopFiles
{
    /// <summary>Bytes that differ per call, of the given length.</summary>
    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The body of <c>ayon_api.create_installer</c> (md5, as the launcher's own build does).</summary>
    public static JsonObject Installer(string filename, byte[] file, string version = "1.6.4", string platform = "linux") => new()
    {
        ["filename"] = filename,
        ["version"] = version,
        ["pythonVersion"] = "3.11.9",
        ["platform"] = platform,
        ["pythonModules"] = new JsonObject { ["requests"] = "2.32.3" },
        ["runtimePythonModules"] = new JsonObject { ["certifi"] = "2024.2.2" },
        ["checksum"] = Convert.ToHexStringLower(MD5.HashData(file)),
        ["checksumAlgorithm"] = "md5",
        ["size"] = file.Length,
    };

    /// <summary>The body of <c>ayon_api.create_dependency_package</c> (sha256, as the dependencies tool does).</summary>
    public static JsonObject DependencyPackage(string filename, byte[] file, JsonObject sourceAddons, string platform = "linux", string installerVersion = "1.6.4") => new()
    {
        ["filename"] = filename,
        ["pythonModules"] = new JsonObject { ["opentimelineio"] = "0.16.0" },
        ["sourceAddons"] = sourceAddons,
        ["installerVersion"] = installerVersion,
        ["checksum"] = Convert.ToHexStringLower(SHA256.HashData(file)),
        ["checksumAlgorithm"] = "sha256",
        ["size"] = file.Length,
        ["platform"] = platform,
    };

    /// <summary>A raw PUT as <c>ayon_api.upload_file</c> makes it: the session's JSON content type, chunked (no Content-Length).</summary>
    public static Task<JsonNode> UploadAsync(Api api, string path, byte[] file, int expect = 204, bool chunked = true)
    {
        HttpContent content = chunked ? new StreamContent(new NonSeekable(file)) : new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return api.SendAsync(new HttpRequestMessage(HttpMethod.Put, path) { Content = content }, expect);
    }

    /// <summary>A stream whose length is unknown, so the request goes out chunked as the client's generator body does.</summary>
    sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    public static async Task<HttpResponseMessage> DownloadAsync(Api api, string path, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure?.Invoke(request);
        return await api.Http.SendAsync(request);
    }
}
