using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Services;
using Anvil.Server.Hosting;
using Anvil.Server.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anvil.Server.Tests.Features.Services;

/// <summary>A server that logs everything, down to TRACE, into <see cref="Lines"/>.</summary>
public sealed class LogCapturingApp : AnvilApp, ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_LOG_LEVEL", "TRACE")];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(this).SetMinimumLevel(LogLevel.Trace));
    }

    ILogger ILoggerProvider.CreateLogger(string categoryName) => new Capture(this, categoryName);

    sealed class Capture(LogCapturingApp app, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (key, value) in values)
                    line.Append($" {key}={value}");
            app.Lines.Enqueue(line.ToString());
        }
    }
}

/// <summary>The studio's secrets: sealed at rest, readable by admins and services only, and nowhere else.</summary>
public sealed class secrets(LogCapturingApp app) : IClassFixture<LogCapturingApp>
{
    static string UniqueValue() => "s3cr3t-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task a_secret_round_trips_and_is_stored_sealed()
    {
        var name = TestUsers.Unique("ftrack_key_");
        var value = UniqueValue();
        var admin = await app.LoginAsync();

        await admin.PutAsync($"/api/secrets/{name}", new { name, value }, expect: 204);
        var one = await admin.GetAsync($"/api/secrets/{name}");
        var all = await admin.GetAsync("/api/secrets");
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var stored = await connection.QuerySingleAsync<(string KeyId, byte[] Sealed)>("SELECT key_id, sealed FROM secrets WHERE name = @name", new { name });

        Assert.Equal(value, one["value"]!.GetValue<string>());
        Assert.Equal(name, one["name"]!.GetValue<string>());
        Assert.Contains(all.AsArray(), s => s!["name"]!.GetValue<string>() == name && s["value"]!.GetValue<string>() == value);
        Assert.Equal(SecretCipher.KeyId(Convert.FromBase64String(AnvilApp.SecretsKey)), stored.KeyId);
        Assert.DoesNotContain(value, Encoding.Latin1.GetString(stored.Sealed));

        var changed = UniqueValue();
        await admin.PutAsync($"/api/secrets/{name}", new { value = changed }, expect: 204);
        Assert.Equal(changed, (await app.Service().GetAsync($"/api/secrets/{name}"))["value"]!.GetValue<string>());
        await admin.DeleteAsync($"/api/secrets/{name}");
        await admin.GetAsync($"/api/secrets/{name}", expect: 404);
        await admin.DeleteAsync($"/api/secrets/{name}", expect: 404);
    }

    [Fact]
    public async Task services_read_values_managers_see_names_and_artists_nothing()
    {
        var name = TestUsers.Unique("kitsu_password_");
        var value = UniqueValue();
        await app.Service().PutAsync($"/api/secrets/{name}", new { value }, expect: 204);
        var manager = await app.ArtistAsync(new JsonObject { ["isManager"] = true });
        var artist = await app.ArtistAsync();

        var byService = await app.Service().GetAsync($"/api/secrets/{name}");
        var managerList = await manager.GetAsync("/api/secrets");

        Assert.Equal(value, byService["value"]!.GetValue<string>());
        var named = managerList.AsArray().Single(s => s!["name"]!.GetValue<string>() == name)!.AsObject();
        Assert.False(named.ContainsKey("value"));
        await manager.GetAsync($"/api/secrets/{name}", expect: 403);
        await manager.PutAsync($"/api/secrets/{name}", new { value = "x" }, expect: 403);
        await manager.DeleteAsync($"/api/secrets/{name}", expect: 403);
        await artist.GetAsync("/api/secrets", expect: 403);
        await app.Anonymous().GetAsync($"/api/secrets/{name}", expect: 401);
    }

    [Fact]
    public async Task a_bad_write_is_a_400_naming_the_field()
    {
        var admin = await app.LoginAsync();
        var name = TestUsers.Unique("s_");

        var noValue = await admin.PutAsync($"/api/secrets/{name}", new { name }, expect: 400);
        var otherName = await admin.PutAsync($"/api/secrets/{name}", new { name = "another", value = "v" }, expect: 400);
        var badName = await admin.PutAsync("/api/secrets/no%20spaces", new { value = "v" }, expect: 400);

        Assert.Equal(["body", "value"], noValue["errors"]![0]!["loc"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(["body", "name"], otherName["errors"]![0]!["loc"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(["path", "secretName"], badName["errors"]![0]!["loc"]!.AsArray().Select(l => l!.GetValue<string>()));
        await admin.GetAsync($"/api/secrets/{name}", expect: 404);
    }

    [Fact]
    public async Task a_value_appears_in_no_other_answer_no_log_line_and_no_event()
    {
        var name = TestUsers.Unique("leak_check_");
        var value = UniqueValue();
        var admin = await app.LoginAsync();
        await admin.PutAsync($"/api/secrets/{name}", new { value }, expect: 204);
        // Failed writes that carry the value: none may echo it.
        var refused = new List<string>
        {
            (await admin.PutAsync($"/api/secrets/{name}", new { name = "other", value }, expect: 400)).ToJsonString(),
            (await admin.PutAsync("/api/secrets/bad%20name", new { value }, expect: 400)).ToJsonString(),
            (await (await app.ArtistAsync()).PutAsync($"/api/secrets/{name}", new { value }, expect: 403)).ToJsonString(),
            (await admin.PutAsync($"/api/secrets/{name}", new { value = new[] { value } }, expect: 400)).ToJsonString(),
            (await admin.PostAsync("/api/events", new { topic = "test.leak", description = 5, summary = value }, expect: 400)).ToJsonString(),
        };
        await admin.GetAsync($"/api/secrets/{name}");
        await admin.GetAsync("/api/secrets");
        await app.Service().GetAsync($"/api/secrets/{name}");

        var answers = new List<string>(refused);
        foreach (var path in new[] { "/api/users/me", "/api/services", "/api/hosts", "/api/addons?details=1", "/api/info", "/api/bundles" })
        {
            using var response = await admin.Http.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
            answers.Add(await response.Content.ReadAsStringAsync());
        }
        answers.Add((await admin.GetAsync($"/api/secrets/{name}x", expect: 404)).ToJsonString());
        answers.Add((await admin.PostAsync("/graphql", new { query = "{ events(last: 200) { edges { node { topic description summary payload } } } }" })).ToJsonString());
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        var inEvents = await connection.ExecuteScalarAsync<long>("""
            SELECT (SELECT count(*) FROM events WHERE description LIKE @pattern OR summary::text LIKE @pattern OR payload::text LIKE @pattern)
                 + (SELECT count(*) FROM event_stream WHERE messages::text LIKE @pattern)
            """, new { pattern = $"%{value}%" });

        Assert.All(answers, answer => Assert.DoesNotContain(value, answer));
        Assert.Equal(0, inEvents);
        Assert.NotEmpty(app.Lines);
        Assert.DoesNotContain(app.Lines, line => line.Contains(value, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Lines, line => line.Contains(AnvilApp.SecretsKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_rotation_reseals_every_secret_with_the_new_key()
    {
        var db = app.Services.GetRequiredService<Db>();
        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var name = TestUsers.Unique("rotated_");
        var value = UniqueValue();
        await app.Service().PutAsync($"/api/secrets/{name}", new { value }, expect: 204);
        var rotated = new SecretStore(db, new SecretCipher(new AyonOptions { SecretsKey = newKey, SecretsPreviousKeys = AnvilApp.SecretsKey }));
        var withoutOldKey = new SecretStore(db, new SecretCipher(new AyonOptions { SecretsKey = newKey }));

        var unreadable = await Assert.ThrowsAsync<AyonError>(() => withoutOldKey.GetAsync(name, default));
        var count = await rotated.RotateAsync(default);

        Assert.True(count >= 1);
        Assert.Contains("AYON_SECRETS_PREVIOUS_KEYS", unreadable.Message);
        Assert.DoesNotContain(value, unreadable.Message);
        Assert.Equal(value, await withoutOldKey.GetAsync(name, default));
        Assert.Equal(0, await rotated.RotateAsync(default));
        // Back to the run's key, for the other tests of this run.
        var back = new SecretStore(db, new SecretCipher(new AyonOptions { SecretsKey = AnvilApp.SecretsKey, SecretsPreviousKeys = newKey }));
        await back.RotateAsync(default);
        Assert.Equal(value, (await app.Service().GetAsync($"/api/secrets/{name}"))["value"]!.GetValue<string>());
    }

    [Fact]
    public void a_secrets_key_that_is_not_32_bytes_of_base64_is_a_configuration_error_that_does_not_quote_it()
    {
        var error = Assert.Throws<FormatException>(() => AyonOptions.SecretKeyBytes("c2hvcnQta2V5"));

        Assert.DoesNotContain("c2hvcnQta2V5", error.Message);
        Assert.Null(AyonOptions.SecretKeyBytes(null));
    }
}
