using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Anvil.Server.Tests.Features.Addons.AddonPackages;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>An instance whose live addon host gives each call 3 s (and, from <see cref="AddonsApp"/>, 400 MiB).</summary>
public sealed class LiveHostApp : AddonsApp
{
    protected override IEnumerable<(string Variable, string Value)> ExtraSettings => [("AYON_ADDON_HOST_CALL_TIMEOUT", "3")];
}

/// <summary>
/// The live addon host: a long-running Python process that resolves context-dependent enums of installed
/// versions from the context Anvil passes, loads only the versions asked for, and survives addons that
/// hang, exit or allocate without bound (the call fails with a reason, the next one gets a fresh process,
/// the API keeps answering).
/// </summary>
public sealed class addon_live_host(LiveHostApp app) : IClassFixture<LiveHostApp>
{
    AddonLiveHost Host => app.Services.GetRequiredService<AddonLiveHost>();

    async Task<string> InstallLiveAsync(string version = "1.0.0", string? name = null)
    {
        name ??= Unique.Name("live");
        await InstallAsync(app.Service(), FromSourceTree("live", name, version));
        return name;
    }

    async Task<int> PidAsync() => (await Host.PingAsync(CancellationToken.None))["pid"]!.GetValue<int>();

    async Task AssertTheApiAnswersAsync()
    {
        var watch = Stopwatch.StartNew();
        await app.Anonymous().GetAsync("/api/info");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"/api/info took {watch.Elapsed}");
    }

    [Fact]
    public async Task the_example_addons_context_dependent_enum_is_resolved_from_the_context_passed()
    {
        var name = Unique.Name("example");
        await InstallAsync(app.Service(), FromSourceTree("example", name, "1.2.0"));
        var export = JsonNode.Parse((await Sql.ScalarAsync<string>(app, "SELECT export::text FROM addon_versions WHERE name = @name", new { name }))!)!;
        var resolver = export["enums"]!.AsArray().Single(e => e!["kind"]!.GetValue<string>() == "context")!["resolver"]!.GetValue<string>();
        Assert.Equal("server.settings:profile_names_enum", resolver);

        var context = new JsonObject
        {
            ["projectName"] = null,
            ["settingsVariant"] = "production",
            ["studioSettings"] = new JsonObject { ["profiles"] = new JsonArray(new JsonObject { ["name"] = "lighting" }, new JsonObject { ["name"] = "comp" }) },
        };
        var result = await Host.ResolveEnumAsync(name, "1.2.0", resolver, context, CancellationToken.None);

        Assert.Equal("""{"enum":["lighting","comp"],"enumLabels":{"lighting":"lighting","comp":"comp"}}""", result.ToJsonString());
    }

    [Fact]
    public async Task what_the_context_does_not_carry_is_refused_with_a_clear_error()
    {
        var name = Unique.Name("example");
        await InstallAsync(app.Service(), FromSourceTree("example", name));

        var error = await Assert.ThrowsAsync<AddonCallFailed>(() =>
            Host.ResolveEnumAsync(name, "1.0.0", "server.settings:profile_names_enum", new JsonObject { ["settingsVariant"] = "production" }, CancellationToken.None));

        Assert.Equal("ContextUnavailable", error.ErrorType);
        Assert.Contains($"the production studio settings of {name} 1.0.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task project_settings_and_the_project_anatomy_come_from_the_context()
    {
        var name = await InstallLiveAsync();
        var context = new JsonObject
        {
            ["projectName"] = "demo",
            ["settingsVariant"] = "staging",
            ["projectSettings"] = new JsonObject { ["tools"] = new JsonArray(new JsonObject { ["name"] = "nuke", ["label"] = "Nuke 15" }) },
            ["anatomy"] = new JsonObject
            {
                ["statuses"] = new JsonArray(
                    new JsonObject { ["name"] = "Approved", ["scope"] = new JsonArray("version") },
                    new JsonObject { ["name"] = "Blocked", ["scope"] = new JsonArray("task") }),
            },
        };

        var tools = await Host.ResolveEnumAsync(name, "1.0.0", "server:tool_names_enum", context, CancellationToken.None);
        var statuses = await Host.ResolveEnumAsync(name, "1.0.0", "server:version_statuses_enum", context, CancellationToken.None);

        Assert.Equal("""{"enum":["nuke"],"enumLabels":{"nuke":"Nuke 15"}}""", tools.ToJsonString());
        Assert.Equal("""["Approved"]""", statuses["enum"]!.ToJsonString());
    }

    [Fact]
    public async Task raw_sql_is_refused_and_a_version_that_is_not_installed_is_named()
    {
        var name = await InstallLiveAsync();

        var sql = await Assert.ThrowsAsync<AddonCallFailed>(() =>
            Host.ResolveEnumAsync(name, "1.0.0", "server:link_types_from_sql", new JsonObject { ["projectName"] = "demo" }, CancellationToken.None));
        var missing = await Assert.ThrowsAsync<AddonCallFailed>(() =>
            Host.ResolveEnumAsync(name, "9.9.9", "server:printing_enum", [], CancellationToken.None));

        Assert.Equal("NotAvailableInAddonHost", sql.ErrorType);
        Assert.Contains("needs AYON's own database", sql.Message, StringComparison.Ordinal);
        Assert.Equal("AddonNotInstalled", missing.ErrorType);
        Assert.Equal($"Addon {name} 9.9.9 is not installed", missing.Message);
    }

    [Fact]
    public async Task only_the_versions_asked_for_are_loaded()
    {
        var name = await InstallLiveAsync("1.0.0");
        await InstallLiveAsync("2.0.0", name);

        var printed = await Host.ResolveEnumAsync(name, "2.0.0", "server:printing_enum", [], CancellationToken.None);

        Assert.Equal("""["printed"]""", printed["enum"]!.ToJsonString());
        var loaded = (await Host.LoadedAsync(CancellationToken.None))["addons"]!.AsArray()
            .Where(a => a!["name"]!.GetValue<string>() == name).Select(a => a!["version"]!.GetValue<string>());
        Assert.Equal(["2.0.0"], loaded);
    }

    [Fact]
    public async Task a_hanging_resolver_times_out_the_api_keeps_answering_and_the_next_call_gets_a_fresh_process()
    {
        var name = await InstallLiveAsync();
        var before = await PidAsync();

        var hanging = Host.ResolveEnumAsync(name, "1.0.0", "server:hanging_enum", [], CancellationToken.None);
        await AssertTheApiAnswersAsync();
        Assert.False(hanging.IsCompleted);
        var error = await Assert.ThrowsAsync<AddonHostUnavailable>(() => hanging);

        Assert.Contains("did not answer within 3 s (AYON_ADDON_HOST_CALL_TIMEOUT)", error.Message, StringComparison.Ordinal);
        Assert.Equal("""["printed"]""", (await Host.ResolveEnumAsync(name, "1.0.0", "server:printing_enum", [], CancellationToken.None))["enum"]!.ToJsonString());
        Assert.NotEqual(before, await PidAsync());
        Assert.False(ProcessAlive(before));
    }

    [Fact]
    public async Task a_resolver_that_ends_its_process_fails_the_call_and_the_host_restarts()
    {
        var name = await InstallLiveAsync();
        var before = await PidAsync();

        var error = await Assert.ThrowsAsync<AddonHostUnavailable>(() =>
            Host.ResolveEnumAsync(name, "1.0.0", "server:exiting_enum", [], CancellationToken.None));
        await AssertTheApiAnswersAsync();

        Assert.Contains("the addon host exited with status 7", error.Message, StringComparison.Ordinal);
        Assert.Equal("""["printed"]""", (await Host.ResolveEnumAsync(name, "1.0.0", "server:printing_enum", [], CancellationToken.None))["enum"]!.ToJsonString());
        Assert.NotEqual(before, await PidAsync());
    }

    [Fact]
    public async Task a_resolver_that_allocates_without_bound_gets_a_memory_error_and_the_host_restarts()
    {
        var name = await InstallLiveAsync();
        var before = await PidAsync();

        var greedy = Host.ResolveEnumAsync(name, "1.0.0", "server:greedy_enum", [], CancellationToken.None);
        await AssertTheApiAnswersAsync();
        var error = await Assert.ThrowsAsync<AddonHostUnavailable>(() => greedy);

        Assert.Contains("ran out of memory (limit 400 MiB, AYON_ADDON_HOST_MEMORY_LIMIT)", error.Message, StringComparison.Ordinal);
        Assert.Equal("""["printed"]""", (await Host.ResolveEnumAsync(name, "1.0.0", "server:printing_enum", [], CancellationToken.None))["enum"]!.ToJsonString());
        Assert.NotEqual(before, await PidAsync());
    }

    static bool ProcessAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public async Task settings_are_validated_by_the_addons_own_model_and_refused_naming_the_fields()
    {
        var name = Unique.Name("example");
        await InstallAsync(app.Service(), FromSourceTree("example", name, "1.2.0"));

        var valid = await Host.ValidateSettingsAsync(name, "1.2.0", "settings", new JsonObject { ["environment"] = " " }, CancellationToken.None);
        var invalid = await Assert.ThrowsAsync<SettingsInvalid>(() =>
            Host.ValidateSettingsAsync(name, "1.2.0", "settings", new JsonObject { ["enabled"] = "maybe" }, CancellationToken.None));
        var duplicate = await Assert.ThrowsAsync<SettingsInvalid>(() => Host.ValidateSettingsAsync(name, "1.2.0", "settings",
            new JsonObject { ["profiles"] = new JsonArray(new JsonObject { ["name"] = "a" }, new JsonObject { ["name"] = "a" }) }, CancellationToken.None));

        Assert.Equal("{}", valid["environment"]!.GetValue<string>());
        Assert.True(valid["enabled"]!.GetValue<bool>());
        Assert.Equal(["enabled"], invalid.Errors.Single().Loc);
        Assert.StartsWith("enabled: ", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("Duplicate name 'a'", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task overrides_of_another_version_are_converted_by_the_addon()
    {
        var name = Unique.Name("example");
        await InstallAsync(app.Service(), FromSourceTree("example", name, "1.2.0"));
        var overrides = new JsonObject { ["enabled"] = false, ["dropped_since"] = 1 };

        var converted = await Host.ConvertOverridesAsync(name, "1.2.0", "1.1.0", overrides, CancellationToken.None);

        Assert.Equal("""{"enabled":false}""", converted.ToJsonString());
    }
}
