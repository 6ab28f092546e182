using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Auth;

/// <summary>An instance on a Redis of its own, which the test stops and starts again.</summary>
public sealed class OwnRedisApp : AnvilApp
{
    readonly int _port = FreePort();
    Process? _redis;

    protected override IEnumerable<(string Variable, string Value)> Settings => [("AYON_REDIS_URL", $"redis://127.0.0.1:{_port}/")];

    public override async Task InitializeAsync()
    {
        await StartRedisAsync();
        await base.InitializeAsync();
    }

    public async Task StartRedisAsync()
    {
        _redis = Process.Start(new ProcessStartInfo("redis-server", ["--bind", "127.0.0.1", "--port", $"{_port}", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        _redis.StandardOutput.BaseStream.CopyToAsync(Stream.Null).ContinueWith(_ => { }, TaskScheduler.Default).GetAwaiter();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, _port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException("redis-server did not start");
    }

    public async Task StopRedisAsync()
    {
        if (_redis is null)
            return;
        _redis.Kill();
        await _redis.WaitForExitAsync();
        _redis = null;
    }

    public OwnRedisApp() => AppDomain.CurrentDomain.ProcessExit += (_, _) => _redis?.Kill();

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class redis_outage(OwnRedisApp app) : IClassFixture<OwnRedisApp>
{
    [Fact]
    public async Task with_redis_stopped_logins_and_session_requests_answer_503_at_once_and_recover_when_it_returns()
    {
        try
        {
            await RedisGoesAndComesBackAsync();
        }
        finally
        {
            await app.StopRedisAsync();
        }
    }

    async Task RedisGoesAndComesBackAsync()
    {
        var session = await app.LoginAsync();
        await session.GetAsync("/api/users/me");

        await app.StopRedisAsync();
        var sinceStop = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        var login = await app.Anonymous().Http.PostAsJsonAsync("/api/auth/login", new { name = "admin", password = AnvilApp.AdminPassword });
        var loginTime = clock.Elapsed;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
        Assert.True(loginTime < TimeSpan.FromSeconds(2.5), $"login took {loginTime}");

        // A session cached here stays good until the instance notices Redis is gone (its Redis client
        // reads the closed socket on a thread of its own, which under load takes a moment); from then
        // on the cache is off, since revocations can no longer be heard, and session requests answer 503.
        HttpResponseMessage me;
        while (true)
        {
            clock.Restart();
            me = await session.Http.GetAsync("/api/users/me");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"a session request took {clock.Elapsed}");
            if (me.StatusCode != HttpStatusCode.OK || sinceStop.Elapsed > TimeSpan.FromSeconds(2.5))
                break;
            await Task.Delay(50);
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, me.StatusCode);

        await app.StartRedisAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpResponseMessage again;
        do
        {
            await Task.Delay(200);
            again = await app.Anonymous().Http.PostAsJsonAsync("/api/auth/login", new { name = "admin", password = AnvilApp.AdminPassword });
        } while (again.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
