using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>A second instance with addon endpoints, over the same database and Redis as <see cref="EndpointsApp"/>.</summary>
public sealed class SecondEndpointsApp : EndpointsApp;

/// <summary>
/// Two instances share PostgreSQL and Redis: each dispatch runs the addons' subscribed handlers once,
/// in the addon host of the instance that dispatched it, never again on the other (the outbox's
/// <c>origin</c>), though both see every event.
/// </summary>
public sealed class addon_events_on_two_instances(EndpointsApp a, SecondEndpointsApp b) : IClassFixture<EndpointsApp>, IClassFixture<SecondEndpointsApp>
{
    static string HostApiUrl(AnvilApp app) => app.Services.GetRequiredService<AddonEndpointHost>().ApiUrl;

    async Task<string> SetupAsync()
    {
        var addon = await a.AddonAsync();
        await a.Service().PostAsync("/api/bundles?force=true", new JsonObject
        {
            ["name"] = Unique.Name("two"),
            ["installerVersion"] = "1.0.0",
            ["isDev"] = true,
            ["addons"] = new JsonObject { [addon] = "1.0.0" },
        }, expect: 201);
        return addon;
    }

    static async Task<string> DispatchAsync(AnvilApp app, string addon, string file) =>
        (await app.Service().PostAsync("/api/events", new { topic = "endpoints.count.run", description = "counted", payload = new { @for = addon, file } }))["id"]!.GetValue<string>();

    static string[] Lines(string file) => File.Exists(file) ? File.ReadAllLines(file) : [];

    /// <summary>Dispatches on <paramref name="app"/> until one of its dispatches has run (the instance follows the outbox and its host is up).</summary>
    static async Task WarmUpAsync(AnvilApp app, string addon)
    {
        var file = Path.Combine(Path.GetTempPath(), $"anvil-warm-{Guid.NewGuid():N}.txt");
        var watch = Stopwatch.StartNew();
        try
        {
            while (Lines(file).Length == 0)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the instance ran no handler within 30 s");
                await DispatchAsync(app, addon, file);
                await Task.Delay(500);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task each_dispatch_runs_the_handlers_once_on_the_instance_that_dispatched_it()
    {
        var addon = await SetupAsync();
        await WarmUpAsync(a, addon);
        await WarmUpAsync(b, addon);
        var file = Path.Combine(Path.GetTempPath(), $"anvil-count-{Guid.NewGuid():N}.txt");
        try
        {
            var onA = await DispatchAsync(a, addon, file);
            var onB = await DispatchAsync(b, addon, file);
            var againOnA = await DispatchAsync(a, addon, file);
            var watch = Stopwatch.StartNew();
            while (Lines(file).Length < 3 && watch.Elapsed < TimeSpan.FromSeconds(20))
                await Task.Delay(100);
            await Task.Delay(TimeSpan.FromSeconds(2)); // time for a second delivery, were there one

            Assert.Equal(
                new[] { $"{onA} {HostApiUrl(a)}", $"{onB} {HostApiUrl(b)}", $"{againOnA} {HostApiUrl(a)}" }.Order(),
                Lines(file).Order());
            Assert.NotEqual(HostApiUrl(a), HostApiUrl(b));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
