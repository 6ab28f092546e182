using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Addons;

/// <summary>A call to the live addon host failed; the message is a reason a person can act on.</summary>
public abstract class AddonHostException(string message) : Exception(message);

/// <summary>
/// The live host gave no answer: it could not start, did not answer within
/// <c>AYON_ADDON_HOST_CALL_TIMEOUT</c>, crashed, ran out of memory or broke the protocol. Its process
/// is gone; the next call starts a fresh one.
/// </summary>
public sealed class AddonHostUnavailable(string message) : AddonHostException(message);

/// <summary>
/// The live host answered with an error: the version is not installed or cannot be loaded, the resolver
/// is unknown, raised, or asked for data the request did not carry (<see cref="ErrorType"/>:
/// <c>AddonNotInstalled</c>, <c>AddonBroken</c>, <c>UnknownResolver</c>, <c>ContextUnavailable</c>,
/// <c>NotAvailableInAddonHost</c>, the addon's own exception type, ...). The process keeps serving.
/// </summary>
public sealed class AddonCallFailed(string errorType, string message) : AddonHostException(message)
{
    public string ErrorType { get; } = errorType;
}

/// <summary>
/// The addon's own settings model refused the settings: <see cref="Errors"/> are pydantic's, each with
/// the path of the field (<c>loc</c>, without AYON's leading <c>body</c>) and the message.
/// </summary>
public sealed class SettingsInvalid(string message, IReadOnlyList<ValidationIssue> errors) : AddonHostException(message)
{
    public IReadOnlyList<ValidationIssue> Errors { get; } = errors;
}

/// <summary>
/// The live addon host: one long-running <c>python -m anvil_addon_host serve</c> process per instance,
/// started on the first call with the same clean environment and memory limit as the export
/// (<see cref="AddonHost.StartInfo"/>), spoken to in JSON lines, one call at a time. It loads only the
/// addon versions calls name, unpacked on demand by <see cref="AddonMaterializer"/>. A call that takes
/// longer than <c>AYON_ADDON_HOST_CALL_TIMEOUT</c> kills the process; a process that died (crash,
/// MemoryError, killed) is replaced on the next call. Failures are <see cref="AddonHostException"/>s,
/// never a crash of the API. The process is stopped when the server stops.
/// </summary>
public sealed class AddonLiveHost(AyonOptions options, AddonStore store, AddonMaterializer materializer, ILogger<AddonLiveHost> logger)
    : IAsyncDisposable, IDisposable
{
    /// <summary>The most of stderr kept for a failure reason.</summary>
    const int StderrTail = 4096;

    /// <summary>The exit status the host uses after answering a MemoryError.</summary>
    const int ExitOutOfMemory = 3;

    readonly SemaphoreSlim _gate = new(1, 1);
    HostProcess? _host;
    long _lastId;
    volatile bool _disposed;

    /// <summary>
    /// Resolves a context-dependent enum of an installed version: <paramref name="resolver"/> is the id the
    /// export gave it (<c>anvilEnum.resolver</c>, e.g. <c>server.settings.main:defined_deadline_ws_name_enum_resolver</c>);
    /// <paramref name="context"/> carries what resolvers may read: <c>projectName</c>, <c>settingsVariant</c>,
    /// <c>siteId</c>, <c>userName</c>, the addon's effective <c>studioSettings</c> / <c>projectSettings</c>,
    /// the <c>anatomy</c> (the project's, or the primary preset without a project) and <c>secretNames</c>.
    /// Answers <c>{"enum": [...], "enumLabels": {...}}</c>, as the export bakes static enums.
    /// </summary>
    public Task<JsonObject> ResolveEnumAsync(string addonName, string addonVersion, string resolver, JsonObject context, CancellationToken cancellationToken) =>
        CallAddonAsync(addonName, addonVersion, "resolveEnum", new JsonObject { ["resolver"] = resolver, ["context"] = context.DeepClone() }, cancellationToken);

    /// <summary>
    /// Validates a whole settings object with the version's own model (<paramref name="model"/>:
    /// <c>settings</c> or <c>siteSettings</c>), its validators included: answers the settings as the
    /// model makes them (normalised), or throws <see cref="SettingsInvalid"/> naming the fields.
    /// </summary>
    public async Task<JsonObject> ValidateSettingsAsync(string addonName, string addonVersion, string model, JsonObject settings, CancellationToken cancellationToken)
    {
        var result = await CallAddonAsync(addonName, addonVersion, "validateSettings",
            new JsonObject { ["model"] = model, ["settings"] = settings.DeepClone() }, cancellationToken);
        return result["settings"] as JsonObject ?? throw new AddonHostUnavailable("the addon host answered validateSettings without settings");
    }

    /// <summary>
    /// The version's own <c>convert_settings_overrides</c>: overrides made for <paramref name="sourceVersion"/>,
    /// as they fit <paramref name="addonVersion"/>.
    /// </summary>
    public async Task<JsonObject> ConvertOverridesAsync(string addonName, string addonVersion, string sourceVersion, JsonObject overrides, CancellationToken cancellationToken)
    {
        var result = await CallAddonAsync(addonName, addonVersion, "convertOverrides",
            new JsonObject { ["sourceVersion"] = sourceVersion, ["overrides"] = overrides.DeepClone() }, cancellationToken);
        return result["overrides"] as JsonObject ?? throw new AddonHostUnavailable("the addon host answered convertOverrides without overrides");
    }

    /// <summary>Calls <paramref name="method"/> about an installed version, unpacking it on this instance first if needed.</summary>
    public async Task<JsonObject> CallAddonAsync(string addonName, string addonVersion, string method, JsonObject fields, CancellationToken cancellationToken)
    {
        var files = await store.FilesAsync(addonName, addonVersion, cancellationToken)
            ?? throw new AddonCallFailed("AddonNotInstalled", $"Addon {addonName} {addonVersion} is not installed");
        string folder;
        try
        {
            folder = await materializer.EnsureAsync(files, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Cannot unpack addon {Name} {Version} for the live host", addonName, addonVersion);
            throw new AddonHostUnavailable($"addon {addonName} {addonVersion} could not be unpacked on this instance: {e.Message}");
        }
        fields["addon"] = new JsonObject { ["name"] = addonName, ["version"] = addonVersion, ["dir"] = folder };
        return await CallAsync(method, fields, cancellationToken);
    }

    /// <summary>The host's <c>ping</c>: <c>{host, python, pid}</c> (starts the process if none runs).</summary>
    /// <summary>Whether the host process is up (it starts at the first call that needs it).</summary>
    public bool IsRunning
    {
        get
        {
            try { return _host is { } host && !host.Process.HasExited; }
            catch (InvalidOperationException) { return false; }
        }
    }

    public Task<JsonObject> PingAsync(CancellationToken cancellationToken) => CallAsync("ping", [], cancellationToken);

    /// <summary>The addon versions the running process has loaded: <c>{"addons": [{name, version, dir}]}</c>.</summary>
    public Task<JsonObject> LoadedAsync(CancellationToken cancellationToken) => CallAsync("loaded", [], cancellationToken);

    /// <summary>One request (<paramref name="fields"/> plus <c>id</c> and <c>method</c>); answers its <c>result</c>.</summary>
    public async Task<JsonObject> CallAsync(string method, JsonObject fields, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var result = await CallOneAsync(method, fields, cancellationToken);
            Observability.AnvilMetrics.AddonHostCalls.WithLabels("ok").Inc();
            return result;
        }
        catch (AddonHostException e)
        {
            Observability.AnvilMetrics.AddonHostCalls.WithLabels(e is AddonHostUnavailable ? "unavailable" : "failed").Inc();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task<JsonObject> CallOneAsync(string method, JsonObject fields, CancellationToken cancellationToken)
    {
        var host = _host;
        if (host is not null && host.Process.HasExited)
        {
            logger.LogWarning("The live addon host (pid {Pid}) had exited ({Status}); starting a fresh one", host.Process.Id, host.Process.ExitCode);
            Stop(host);
            host = null;
        }
        host ??= _host = Start();

        var id = ++_lastId;
        fields["id"] = id;
        fields["method"] = method;
        var line = fields.ToJsonString();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.AddonHostCallTimeout));
        string? answer;
        try
        {
            await host.Input.WriteLineAsync(line.AsMemory(), timeout.Token);
            await host.Input.FlushAsync(timeout.Token);
            // The read is abandoned on a timeout; the process it reads from is killed right after.
            answer = await host.Output.ReadLineAsync(timeout.Token).AsTask().WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Stop(host);
            if (cancellationToken.IsCancellationRequested)
                throw;
            logger.LogWarning("The live addon host did not answer {Method} within {Timeout} s and was killed", method, options.AddonHostCallTimeout);
            throw new AddonHostUnavailable($"the addon host did not answer within {options.AddonHostCallTimeout} s (AYON_ADDON_HOST_CALL_TIMEOUT) and was stopped; the next call starts a fresh one");
        }
        catch (IOException)
        {
            answer = null; // the pipe broke: the process is gone
        }
        if (answer is null)
        {
            var reason = await ExitReasonAsync(host);
            Stop(host);
            throw new AddonHostUnavailable(reason);
        }
        return Interpret(host, id, answer);
    }

    JsonObject Interpret(HostProcess host, long id, string answer)
    {
        JsonObject? response = null;
        try
        {
            response = JsonNode.Parse(answer) as JsonObject;
        }
        catch (JsonException)
        {
        }
        if (response is null || response["id"] is not JsonValue answeredId || !answeredId.TryGetValue<long>(out var got) || got != id)
        {
            Stop(host);
            logger.LogError("The live addon host broke the protocol: {Answer}", answer.Length > 500 ? answer[..500] : answer);
            throw new AddonHostUnavailable("the addon host answered something that is not the response to the call; it was stopped and the next call starts a fresh one");
        }
        if (response["error"] is JsonObject error)
        {
            var type = error["type"] is JsonValue t && t.TryGetValue<string>(out var typeText) ? typeText : "Error";
            var message = error["message"] is JsonValue m && m.TryGetValue<string>(out var messageText) ? messageText : "the addon host reported an error";
            if (type == "MemoryError")
            {
                Stop(host);
                throw new AddonHostUnavailable(OutOfMemory);
            }
            if (type == "ValidationError")
                throw new SettingsInvalid(message, Issues(error["errors"]));
            throw new AddonCallFailed(type, message);
        }
        var result = response["result"];
        response.Remove("result");
        return result as JsonObject ?? new JsonObject { ["value"] = result };
    }

    static List<ValidationIssue> Issues(JsonNode? errors) =>
        errors is JsonArray list
            ? [.. list.OfType<JsonObject>().Select(issue => new ValidationIssue(
                issue["loc"] is JsonArray loc ? [.. loc.Select(part => part is JsonValue v && v.TryGetValue<string>(out var text) ? text : part?.ToJsonString() ?? "")] : [],
                issue["msg"]?.GetValue<string>() ?? "invalid",
                issue["type"]?.GetValue<string>() ?? "value_error"))]
            : [];

    string OutOfMemory =>
        $"the addon host ran out of memory (limit {options.AddonHostMemoryLimit} MiB, AYON_ADDON_HOST_MEMORY_LIMIT); the next call starts a fresh one";

    /// <summary>Why the process stopped answering: its exit status and the last lines of its stderr.</summary>
    async Task<string> ExitReasonAsync(HostProcess host)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await host.Process.WaitForExitAsync(wait.Token);
            await host.StderrDone.WaitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            return "the addon host closed its output without exiting; it was stopped and the next call starts a fresh one";
        }
        var tail = host.Stderr.Text.Trim();
        var exitCode = host.Process.ExitCode;
        logger.LogWarning("The live addon host exited with status {Status}: {Stderr}", exitCode, tail);
        if (exitCode == ExitOutOfMemory || tail.Contains("MemoryError", StringComparison.Ordinal))
            return OutOfMemory;
        if (tail.Contains("No module named anvil_addon_host", StringComparison.Ordinal) || tail.Contains("No module named 'anvil_addon_host'", StringComparison.Ordinal))
            return $"the addon host is not installed: no anvil_addon_host package in {AddonHostCode.Directory}";
        var status = exitCode switch
        {
            > 128 => $"was killed by signal {exitCode - 128}",
            < 0 => $"was killed by signal {-exitCode}",
            _ => $"exited with status {exitCode}",
        };
        return $"the addon host {status} during the call; the next call starts a fresh one" + (tail.Length > 0 ? $": {AddonHost.LastLines(tail, 6)}" : "");
    }

    HostProcess Start()
    {
        Directory.CreateDirectory(materializer.Root);
        var start = AddonHost.StartInfo(options, materializer.Root, "serve");
        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            logger.LogError("Cannot start the live addon host {Python}: {Error}", options.AddonHostPython, e.Message);
            throw new AddonHostUnavailable(AddonHost.CannotStart(options, e));
        }
        logger.LogInformation("Started the live addon host (pid {Pid})", process.Id);
        Observability.AnvilMetrics.AddonHostStarts.Inc();
        var stderr = new OutputTail(StderrTail);
        return new HostProcess(process, stderr, PumpStderrAsync(process, stderr));
    }

    async Task PumpStderrAsync(Process process, OutputTail tail)
    {
        var pid = process.Id;
        string? line;
        while ((line = await process.StandardError.ReadLineAsync()) is not null)
        {
            tail.Append(line + "\n");
            logger.LogDebug("addon host {Pid}: {Line}", pid, line);
        }
    }

    void Stop(HostProcess host)
    {
        AddonHost.Kill(host.Process);
        host.Process.Dispose();
        if (ReferenceEquals(_host, host))
            _host = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        var host = _host;
        _host = null;
        if (host is null)
            return;
        try
        {
            // Closing stdin ends the serve loop; whatever does not leave in time is killed.
            host.Input.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await host.Process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
        }
        AddonHost.Kill(host.Process);
        host.Process.Dispose();
        logger.LogInformation("Stopped the live addon host");
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        var host = _host;
        _host = null;
        if (host is not null)
        {
            AddonHost.Kill(host.Process);
            host.Process.Dispose();
        }
    }

    sealed record HostProcess(Process Process, OutputTail Stderr, Task StderrDone)
    {
        public StreamWriter Input => Process.StandardInput;
        public StreamReader Output => Process.StandardOutput;
    }
}
