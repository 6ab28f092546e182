using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary>
/// Event handlers of addon code (<c>EventStream.subscribe</c>): an event dispatched through the REST
/// API reaches the handlers of the active bundles' addons in the addon HTTP host, which act on it
/// through Anvil's API; a failing or hanging handler does not hold up the others or the write.
/// </summary>
public sealed class addon_event_handlers(EndpointsApp app) : IClassFixture<EndpointsApp>
{
    async Task<Api> SetupAsync()
    {
        var addon = await app.AddonAsync();
        await app.Service().PostAsync("/api/bundles?force=true", new JsonObject
        {
            ["name"] = Unique.Name("hooks"),
            ["installerVersion"] = "1.0.0",
            ["isDev"] = true,
            ["addons"] = new JsonObject { [addon] = "1.0.0" },
        }, expect: 201);
        return await app.LoginAsync();
    }

    /// <summary>The event once its description contains <paramref name="text"/> (a handler changed it), or as it is after 15 s.</summary>
    static async Task<JsonNode> WhenDescribedAsync(Api admin, string id, string text)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var stored = await admin.GetAsync($"/api/events/{id}");
            if (stored["description"]!.GetValue<string>().Contains(text, StringComparison.Ordinal) || watch.Elapsed > TimeSpan.FromSeconds(15))
                return stored;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task a_dispatched_event_runs_the_subscribed_handler_with_its_payload()
    {
        var admin = await SetupAsync();
        var addon = await app.AddonAsync();

        var id = (await admin.PostAsync("/api/events", new { topic = "endpoints.hook.ping", description = "waiting", summary = new { origin = "test" }, payload = new { n = 7, @for = addon } }))["id"]!.GetValue<string>();
        var handled = await WhenDescribedAsync(admin, id, "handled");

        Assert.Equal($"handled by {addon} 1.0.0: endpoints.hook.ping n=7", handled["description"]!.GetValue<string>());
        Assert.Equal("""{"origin":"test","handledBy":"1.0.0"}""", handled["summary"]!.ToJsonString());
    }

    [Fact]
    public async Task events_of_other_topics_and_updates_do_not_reach_the_handlers()
    {
        var admin = await SetupAsync();
        var addon = await app.AddonAsync();

        var other = (await admin.PostAsync("/api/events", new { topic = "endpoints.other", description = "waiting" }))["id"]!.GetValue<string>();
        var updated = (await admin.PostAsync("/api/events", new { topic = "endpoints.hook.update", description = "waiting", payload = new { n = 1, @for = addon } }))["id"]!.GetValue<string>();
        await WhenDescribedAsync(admin, updated, "handled");
        await admin.PatchAsync($"/api/events/{updated}", new { description = "changed by the test" }, expect: 204);
        var marker = (await admin.PostAsync("/api/events", new { topic = "endpoints.hook.marker", description = "waiting", payload = new { @for = addon } }))["id"]!.GetValue<string>();
        await WhenDescribedAsync(admin, marker, "handled");

        Assert.Equal("waiting", (await admin.GetAsync($"/api/events/{other}"))["description"]!.GetValue<string>());
        Assert.Equal("changed by the test", (await admin.GetAsync($"/api/events/{updated}"))["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_failing_or_waiting_handler_does_not_hold_up_the_others()
    {
        var admin = await SetupAsync();
        var addon = await app.AddonAsync();

        var watch = Stopwatch.StartNew();
        var waiting = (await admin.PostAsync("/api/events", new { topic = "endpoints.hook.wait", description = "waiting", payload = new { wait = true, n = 1, @for = addon } }))["id"]!.GetValue<string>();
        var failing = (await admin.PostAsync("/api/events", new { topic = "endpoints.hook.fail", description = "waiting", payload = new { fail = true, n = 2, @for = addon } }))["id"]!.GetValue<string>();
        var written = watch.Elapsed;
        var failed = await WhenDescribedAsync(admin, failing, "handled");
        var waited = await WhenDescribedAsync(admin, waiting, "saw it");

        Assert.True(written < TimeSpan.FromSeconds(2), $"dispatching took {written}");
        Assert.EndsWith("endpoints.hook.fail n=2", failed["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.EndsWith("endpoints.hook.wait n=1; the first handler saw it", waited["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
