using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Anvil.Server.Features.Addons;

/// <summary>
/// The addon HTTP host: one long-running <c>python -m anvil_addon_host serve-http --socket S</c> per
/// instance, started on the first request that needs it (an addon endpoint, an action), serving the
/// addons' own endpoints and actions over HTTP on a unix socket. Requests run concurrently there; each
/// is bounded by <c>AYON_ADDON_ENDPOINT_TIMEOUT</c> here. After a timeout the host is pinged: a host
/// that no longer answers (an endpoint blocked its loop) is killed, and the next request starts a fresh
/// one. The host reaches Anvil's API back with <see cref="AddonHostKey"/> at <see cref="ApiUrl"/>; its
/// environment is otherwise the clean one of every addon host (<see cref="AddonHost.StartInfo"/>).
/// </summary>
public sealed class AddonEndpointHost(AyonOptions options, AddonMaterializer materializer, AddonHostKey hostKey, IServer server,
    ILogger<AddonEndpointHost> logger) : IAsyncDisposable
{
    const int StderrTail = 4096;
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    readonly SemaphoreSlim _gate = new(1, 1);
    Instance? _instance;
    volatile bool _disposed;

    /// <summary>One running host: its process, the client that speaks to its socket, its stderr tail.</summary>
    sealed record Instance(Process Process, HttpClient Client, string SocketPath, OutputTail Stderr) : IDisposable
    {
        public void Dispose()
        {
            Client.Dispose();
            AddonHost.Kill(Process);
            Process.Dispose();
            AddonMaterializer.TryDelete(SocketPath);
        }
    }

    /// <summary>
    /// Where the host calls Anvil's API: <c>AYON_ADDON_HOST_API_URL</c>, else this instance's own
    /// listening address on loopback.
    /// </summary>
    public string ApiUrl
    {
        get
        {
            if (!string.IsNullOrEmpty(options.AddonHostApiUrl))
                return options.AddonHostApiUrl.TrimEnd('/');
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal))
                ?? throw new AddonHostUnavailable("the addon host cannot reach Anvil: this instance listens on no http:// address; set AYON_ADDON_HOST_API_URL");
            var uri = new Uri(address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1"));
            return $"http://{(uri.Host == "localhost" ? "127.0.0.1" : uri.Host)}:{uri.Port}";
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> to the host (started if none runs) and answers once its headers
    /// have arrived; the body is read by the caller. Throws <see cref="TimeoutException"/> after
    /// <c>AYON_ADDON_ENDPOINT_TIMEOUT</c> (having replaced a host that no longer answers) and
    /// <see cref="AddonHostUnavailable"/> when the host cannot be reached.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var instance = await RunningAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.AddonEndpointTimeout));
        try
        {
            return await instance.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ReplaceIfUnresponsiveAsync(instance);
            throw new TimeoutException($"did not answer within {options.AddonEndpointTimeout} s (AYON_ADDON_ENDPOINT_TIMEOUT)");
        }
        catch (HttpRequestException e) when (e.InnerException is BadHttpRequestException bad)
        {
            // Reading the client's body failed (too large, cut off): the client's fault, not the host's.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(bad);
            throw;
        }
        catch (HttpRequestException e)
        {
            var reason = instance.Process.HasExited
                ? $"the addon host exited with status {instance.Process.ExitCode}: {AddonHost.LastLines(instance.Stderr.Text.Trim(), 6)}"
                : $"the addon host could not be reached: {e.Message}";
            if (instance.Process.HasExited)
                Retire(instance);
            throw new AddonHostUnavailable(reason + "; the next request starts a fresh one");
        }
    }

    /// <summary>
    /// Opens <paramref name="socket"/> to a websocket route in the host (started if none runs), within
    /// <c>AYON_ADDON_ENDPOINT_TIMEOUT</c>. A host that answers the upgrade with another status throws a
    /// <see cref="WebSocketException"/> with the status in <see cref="ClientWebSocket.HttpStatusCode"/>.
    /// </summary>
    public async Task ConnectWebSocketAsync(ClientWebSocket socket, Uri uri, CancellationToken cancellationToken)
    {
        var instance = await RunningAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.AddonEndpointTimeout));
        try
        {
            await socket.ConnectAsync(uri, instance.Client, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ReplaceIfUnresponsiveAsync(instance);
            throw new TimeoutException($"did not answer within {options.AddonEndpointTimeout} s (AYON_ADDON_ENDPOINT_TIMEOUT)");
        }
        catch (WebSocketException) when (socket.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            throw;
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            if (instance.Process.HasExited)
                Retire(instance);
            throw new AddonHostUnavailable($"the addon host could not be reached: {e.Message}; the next request starts a fresh one");
        }
    }

    /// <summary>The running host's pid (starting one if none runs); for tests and the bench.</summary>
    public async Task<int> PidAsync(CancellationToken cancellationToken) => (await RunningAsync(cancellationToken)).Process.Id;

    async Task ReplaceIfUnresponsiveAsync(Instance instance)
    {
        if (await AnswersPingAsync(instance))
            return;
        logger.LogWarning("The addon HTTP host (pid {Pid}) no longer answers; it is stopped and the next request starts a fresh one", instance.Process.Id);
        Retire(instance);
    }

    static async Task<bool> AnswersPingAsync(Instance instance)
    {
        using var ping = new CancellationTokenSource(PingTimeout);
        try
        {
            using var answer = await instance.Client.GetAsync("http://addon-host/_anvil/ping", ping.Token);
            return answer.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
        {
            return false;
        }
    }

    void Retire(Instance instance)
    {
        Interlocked.CompareExchange(ref _instance, null, instance);
        instance.Dispose();
    }

    async Task<Instance> RunningAsync(CancellationToken cancellationToken)
    {
        var instance = _instance;
        if (instance is not null && !instance.Process.HasExited)
            return instance;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            instance = _instance;
            if (instance is not null && !instance.Process.HasExited)
                return instance;
            if (instance is not null)
            {
                logger.LogWarning("The addon HTTP host (pid {Pid}) had exited ({Status}); starting a fresh one", instance.Process.Id, instance.Process.ExitCode);
                Retire(instance);
            }
            instance = await StartAsync(cancellationToken);
            _instance = instance;
            return instance;
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task<Instance> StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(materializer.Root);
        // A unix socket path is limited to about 100 bytes: the temporary folder, not the addons folder.
        var socketPath = Path.Combine(Path.GetTempPath(), $"anvil-addons-{Guid.NewGuid():N}.sock");
        var start = AddonHost.StartInfo(options, materializer.Root, "serve-http", "--socket", socketPath);
        start.Environment["ANVIL_API_URL"] = ApiUrl;
        start.Environment["ANVIL_HOST_KEY"] = hostKey.Value;
        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new AddonHostUnavailable(AddonHost.CannotStart(options, e));
        }
        process.StandardInput.Close();
        var stderr = new OutputTail(StderrTail);
        _ = PumpAsync(process.StandardError, stderr, process.Id);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var instance = new Instance(process, new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, socketPath, stderr);
        var started = Stopwatch.StartNew();
        while (!await AnswersPingAsync(instance))
        {
            if (process.HasExited || started.Elapsed > StartTimeout)
            {
                var reason = process.HasExited
                    ? $"exited with status {process.ExitCode}: {AddonHost.LastLines(stderr.Text.Trim(), 6)}"
                    : $"did not answer within {StartTimeout.TotalSeconds:0} s";
                instance.Dispose();
                logger.LogError("The addon HTTP host could not start: {Reason}", reason);
                throw new AddonHostUnavailable($"the addon host could not start: it {reason}");
            }
            await Task.Delay(50, cancellationToken);
        }
        logger.LogInformation("Started the addon HTTP host (pid {Pid}) on {Socket}", process.Id, socketPath);
        return instance;
    }

    async Task PumpAsync(StreamReader reader, OutputTail tail, int pid)
    {
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            tail.Append(line + "\n");
            logger.LogDebug("addon HTTP host {Pid}: {Line}", pid, line);
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        Interlocked.Exchange(ref _instance, null)?.Dispose();
        return ValueTask.CompletedTask;
    }
}
