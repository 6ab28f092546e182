using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Anvil.Server.Tests.Infrastructure;
using Npgsql;

namespace Anvil.Server.Tests.Data;

/// <summary>An instance on a database of its own, whose connections the test cuts as a restart would.</summary>
public sealed class OwnDatabaseApp : AnvilApp
{
    public string DatabaseName { get; } = $"anvil_restart_{TestEnvironment.RunId}";

    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_REDIS_CHANNEL", $"anvil-restart-{Guid.NewGuid():N}")];

    protected override Task<string> DatabaseUrlAsync() => TestEnvironment.CreateDatabaseAsync(DatabaseName);
}

public sealed class database_restarts(OwnDatabaseApp app) : IClassFixture<OwnDatabaseApp>
{
    [Fact]
    public async Task writes_while_the_database_drops_every_connection_answer_503_with_retry_after_never_500()
    {
        var project = await TestProjects.CreateAsync(app);
        var statuses = new ConcurrentBag<(HttpStatusCode Status, bool RetryAfter, string Body)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));

        async Task WriteAsync(int writer)
        {
            var api = app.Service();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var response = await api.Http.PostAsJsonAsync($"/api/projects/{project}/operations", new
                {
                    operations = Enumerable.Range(0, 5).Select(n => new { type = "create", entityType = "folder", data = new { name = $"w{writer}_{i}_{n}", folderType = "Shot" } }),
                });
                statuses.Add((response.StatusCode, response.Headers.RetryAfter is not null, await response.Content.ReadAsStringAsync()));
            }
        }

        async Task CutConnectionsAsync()
        {
            await using var admin = new NpgsqlConnection(TestEnvironment.ConnectionString(TestEnvironment.AdminUrl));
            await admin.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                await using (var command = new NpgsqlCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @name AND pid <> pg_backend_pid()", admin))
                {
                    command.Parameters.AddWithValue("name", app.DatabaseName);
                    await command.ExecuteScalarAsync();
                }
                await Task.Delay(30);
            }
        }

        await Task.WhenAll([.. Enumerable.Range(0, 6).Select(WriteAsync), CutConnectionsAsync()]);

        var failures = statuses.Where(s => (int)s.Status >= 500).ToList();
        Assert.All(failures, f => Assert.True(f.Status == HttpStatusCode.ServiceUnavailable && f.RetryAfter, $"{(int)f.Status}: {f.Body}"));
        Assert.Contains(statuses, s => s.Status == HttpStatusCode.OK);
    }
}
