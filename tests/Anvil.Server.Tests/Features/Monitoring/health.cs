using Anvil.Server.Data;
using Anvil.Server.Features.Monitoring;
using Anvil.Server.Messaging;
using Anvil.Server.Tests.Infrastructure;
using Anvil.Server.Tests.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Server.Tests.Features.Monitoring;

/// <summary>A clock the test moves by hand.</summary>
sealed class ManualClock : TimeProvider
{
    long _ticks = 1;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => _ticks;
    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}

/// <summary>/health/live and /health/ready: anonymous probes for load balancers and orchestrators.</summary>
public sealed class health(AnvilApp app, InstanceWithoutRedis withoutRedis) : IClassFixture<AnvilApp>, IClassFixture<InstanceWithoutRedis>
{
    [Fact]
    public async Task liveness_answers_without_credentials()
    {
        var answer = await app.Anonymous().GetAsync("/health/live");

        Assert.Equal("alive", answer["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task readiness_answers_ready_with_each_dependency_when_postgres_and_redis_answer()
    {
        var answer = await app.Anonymous().GetAsync("/health/ready");

        Assert.Equal("ready", answer["status"]!.GetValue<string>());
        Assert.Equal("ok", answer["postgres"]!.GetValue<string>());
        Assert.Equal("applied", answer["migrations"]!.GetValue<string>());
        Assert.Equal("ok", answer["redis"]!.GetValue<string>());
        Assert.Equal(["status", "postgres", "migrations", "redis"], answer.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task readiness_says_degraded_but_stays_ready_while_redis_is_unreachable()
    {
        var answer = await withoutRedis.Anonymous().GetAsync("/health/ready", expect: 200);

        Assert.Equal("degraded", answer["status"]!.GetValue<string>());
        Assert.Equal("unreachable", answer["redis"]!.GetValue<string>());
        Assert.Equal("ok", answer["postgres"]!.GetValue<string>());
    }

    [Fact]
    public async Task readiness_is_unavailable_when_postgres_does_not_answer()
    {
        var options = TestEnvironment.Options(("AYON_POSTGRES_URL", "postgres://nobody:secret@127.0.0.1:1/anvil"));
        await using var db = Db.Create(options);
        var readiness = new Readiness(db, app.Services.GetRequiredService<Redis>(), TimeProvider.System);

        var report = await readiness.CheckAsync();

        Assert.False(report.Ready);
        Assert.Equal(("unavailable", "unreachable", "unknown"), (report.Status, report.Postgres, report.Migrations));
    }

    [Fact]
    public async Task readiness_waits_for_the_migrations_and_keeps_each_answer_a_second()
    {
        var url = await TestEnvironment.CreateDatabaseAsync("anvil_test_ready_" + Guid.NewGuid().ToString("N")[..10]);
        await using var db = Db.Create(TestEnvironment.Options(("AYON_POSTGRES_URL", url)));
        var clock = new ManualClock();
        var readiness = new Readiness(db, app.Services.GetRequiredService<Redis>(), clock);

        var before = await readiness.CheckAsync();
        await new MigrationRunner(db, NullLogger<MigrationRunner>.Instance).RunAsync();
        var kept = await readiness.CheckAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        var after = await readiness.CheckAsync();

        Assert.Equal(("unavailable", "ok", "pending"), (before.Status, before.Postgres, before.Migrations));
        Assert.Same(before, kept);
        Assert.Equal(("ready", "applied"), (after.Status, after.Migrations));
    }
}
