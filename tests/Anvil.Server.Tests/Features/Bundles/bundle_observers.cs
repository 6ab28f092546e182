using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Tests.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Anvil.Server.Tests.Features.Bundles.BundleWorld;

namespace Anvil.Server.Tests.Features.Bundles;

/// <summary>An instance with an <see cref="IBundleObserver"/> that records calls and refuses bundles named "refused_…".</summary>
public sealed class ObservedAddonsApp : AddonsApp
{
    public ConcurrentQueue<(string Bundle, string Before, string After)> Calls { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IBundleObserver>(new Recorder(this)));
    }

    sealed class Recorder(ObservedAddonsApp app) : IBundleObserver
    {
        public Task AddonVersionsChangedAsync(NpgsqlConnection connection, BundleRecord before, BundleRecord after, CancellationToken cancellationToken)
        {
            if (after.Name.StartsWith("refused_", StringComparison.Ordinal))
                throw new InvalidOperationException("refused by the observer");
            app.Calls.Enqueue((after.Name, before.Addons.ToJsonString(), after.Addons.ToJsonString()));
            return Task.CompletedTask;
        }
    }
}

/// <summary><see cref="IBundleObserver"/>: told, inside the write, when a bundle's addon versions change (settings migrate there).</summary>
[Collection(BundlesCollection.Name)]
public sealed class bundle_observers(ObservedAddonsApp app) : IClassFixture<ObservedAddonsApp>
{
    [Fact]
    public async Task an_observer_is_told_when_a_bundles_addon_versions_change_and_only_then()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core", "1.0.0");
        await AddonAsync(api, "core", "2.0.0", name: addon);
        var name = Unique.Name("observed");
        await api.PostAsync("/api/bundles", CreateBody(name, new JsonObject { [addon] = "1.0.0" }), expect: 201);
        await api.PatchAsync($"/api/bundles/{name}", new { isStaging = true }, expect: 204);
        Assert.DoesNotContain(app.Calls, c => c.Bundle == name);

        await api.PatchAsync($"/api/bundles/{name}", new JsonObject { ["addons"] = new JsonObject { [addon] = "2.0.0" } }, expect: 204);

        var call = Assert.Single(app.Calls, c => c.Bundle == name);
        Assert.Contains("1.0.0", call.Before);
        Assert.Contains("2.0.0", call.After);
    }

    [Fact]
    public async Task an_observer_that_throws_rolls_the_write_back()
    {
        var api = app.Service();
        var addon = await AddonAsync(api, "core", "1.0.0");
        await AddonAsync(api, "core", "2.0.0", name: addon);
        var name = Unique.Name("refused");
        await api.PostAsync("/api/bundles", CreateBody(name, new JsonObject { [addon] = "1.0.0" }), expect: 201);

        await api.PatchAsync($"/api/bundles/{name}", new JsonObject { ["addons"] = new JsonObject { [addon] = "2.0.0" } }, expect: 500);

        Assert.Equal("1.0.0", (await BundleAsync(api, name))["addons"]![addon]!.GetValue<string>());
    }
}
