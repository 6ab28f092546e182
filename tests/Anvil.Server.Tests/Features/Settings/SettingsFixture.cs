using System.Text.Json.Nodes;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Settings;

/// <summary>Helpers for the settings tests: the <c>example</c> test addon installed under a unique name, bundles as rows.</summary>
public static class SettingsFixture
{
    public const string AddonVersion = "1.0.0";

    /// <summary>Installs <c>tests/addons/example</c> under a new name (so each test has its own overrides); answers the name.</summary>
    public static async Task<string> ExampleAsync(AnvilApp app, string version = AddonVersion)
    {
        var name = Unique.Name("ex");
        await InstallAsync(app.Service(), FromSourceTree("example", name, version));
        return name;
    }

    /// <summary>A bundle made through <c>POST /api/bundles?force=true</c> (dev: no active user; project: a project bundle); answers its name.</summary>
    public static async Task<string> BundleAsync(AnvilApp app, JsonObject addons, bool dev = false, bool project = false, string? name = null)
    {
        name ??= Unique.Name("bundle");
        var body = new JsonObject { ["name"] = name, ["installerVersion"] = "1.0.0", ["addons"] = addons };
        if (dev)
            body["isDev"] = true;
        if (project)
            body["isProject"] = true;
        await app.Service().PostAsync("/api/bundles?force=true", body, expect: 201);
        return name;
    }

    /// <summary>A bundle written as a row, for what the routes refuse (addons that are not installed); the bundle caches are dropped.</summary>
    public static async Task<string> BundleRowAsync(AnvilApp app, JsonObject addons, bool project = false)
    {
        var name = Unique.Name("bundle");
        await Sql.ExecuteAsync(app, "INSERT INTO bundles (name, data, is_project) VALUES (@name, @data::jsonb, @project)",
            new { name, data = new JsonObject { ["addons"] = addons }.ToJsonString(), project });
        await app.Services.GetRequiredService<BundleStore>().ChangedAsync();
        return name;
    }

    public static string Path(string addon, string route, string? project = null, string query = "") =>
        $"/api/addons/{addon}/{AddonVersion}/{route}{(project is null ? "" : "/" + project)}{query}";

    /// <summary>A client of a new manager.</summary>
    public static async Task<Api> ManagerAsync(AnvilApp app) => await app.ArtistAsync(new JsonObject { ["isManager"] = true });
}
