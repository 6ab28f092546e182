using System.ComponentModel.DataAnnotations;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Addons;
using Anvil.Server.Features.Auth;
using Anvil.Server.Features.Bundles;
using Anvil.Server.Features.Settings;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;

namespace Anvil.Server.Features.Actions;

/// <summary>Where an action is listed or run: the body of <c>/api/actions/list</c>, <c>execute</c> and <c>config</c>.</summary>
public sealed record ActionContextRequest
{
    public string? ProjectName { get; init; }
    /// <summary>project, folder, task, product, version, representation, workfile or list; null for studio-wide actions.</summary>
    public string? EntityType { get; init; }
    public List<string>? EntityIds { get; init; }
    /// <summary>Folder types of the folders, task types of the tasks.</summary>
    public List<string>? EntitySubtypes { get; init; }
    /// <summary>What the user filled in a form an earlier execute answered with.</summary>
    public JsonObject? FormData { get; init; }
    /// <summary>Only in <c>/api/actions/config</c>: the options to store (absent: read them).</summary>
    public JsonObject? Value { get; init; }
}

/// <summary>Body of <c>POST /api/actions/abort/{token}</c>.</summary>
public sealed record AbortActionRequest
{
    [MaxLength(10_000)] public string? Message { get; init; }
}

/// <summary>Body of the addon host's <c>PUT /api/actions/storedConfig/{hash}</c>.</summary>
public sealed record StoredActionConfig
{
    [Required] public JsonObject? Value { get; init; }
    public string? AddonName { get; init; }
    public string? AddonVersion { get; init; }
    public string? Identifier { get; init; }
    public string? ProjectName { get; init; }
    public string? UserName { get; init; }
}

/// <summary>
/// AYON's web actions: the addons' own <c>get_simple_actions</c> / <c>get_dynamic_actions</c> /
/// <c>execute_action</c>, run in the addon HTTP host for the addons of the variant's bundle. A launcher
/// answer becomes an <c>action.launcher</c> event (pending, its hash a one-time token) and an
/// <c>ayon-launcher://</c> URI; the launcher takes the event with the token (no credentials, once) and
/// finishes it with <c>PATCH /api/events/{id}</c>.
/// </summary>
public static partial class ActionEndpoints
{
    public const string LauncherTopic = "action.launcher";
    const string LauncherArgsKey = "anvilLauncherArgs";

    static readonly HashSet<string> EntityTypes = ["project", "folder", "task", "product", "version", "representation", "workfile", "list"];
    static readonly HashSet<string> Modes = ["simple", "dynamic", "all"];

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex TokenPattern();

    public static void MapActionEndpoints(this RouteGroupBuilder api)
    {
        var actions = api.MapGroup("/actions").WithTags("Actions");
        actions.MapPost("/list", ListAsync).WithName("list_available_actions_for_context")
            .WithSummary("The actions of the bundle's addons for a context (project, entity type, ids, subtypes); mode simple, dynamic or all.");
        actions.MapPost("/execute", ExecuteAsync).WithName("execute_action")
            .WithSummary("Runs an addon's action: a simple, form, redirect, navigate, query or launcher answer.");
        actions.MapGet("/take/{token}", TakeAsync).AllowAnonymous().WithName("take_action")
            .WithSummary("The launcher takes a pending action.launcher event with its one-time token (no credentials).");
        actions.MapPost("/abort/{token}", AbortAsync).AllowAnonymous().WithName("abort_action")
            .WithSummary("The launcher gives up a pending action with its token (no credentials).");
        actions.MapPost("/config", ConfigAsync).WithName("configure_action")
            .WithSummary("The user's stored options of an action in a context; with value, stores them first.");
        actions.MapGet("/storedConfig/{hash}", GetStoredConfigAsync).ExcludeFromDescription();
        actions.MapPut("/storedConfig/{hash}", SetStoredConfigAsync).ExcludeFromDescription();
    }

    static async Task<JsonObject> ListAsync(ActionContextRequest context, CurrentUser user, HttpContext http, BundleStore bundles,
        SettingsAggregate settings, AddonStore store, AddonMaterializer materializer, AddonEndpointHost host, string? variant = null, string? mode = null)
    {
        variant = string.IsNullOrEmpty(variant) ? "production" : variant;
        mode = string.IsNullOrEmpty(mode) ? "simple" : mode;
        if (!Modes.Contains(mode))
            throw BadRequest.Field("mode", "must be simple, dynamic or all");
        Check(context, user, requireEntities: false);
        var bundle = await bundles.ForVariantAsync(variant, http.RequestAborted);
        if (bundle is null)
            return new JsonObject { ["actions"] = new JsonArray() };
        // A project's own bundle replaces the versions it may choose, as its settings do.
        var (_, versions) = await settings.AddonVersionsAsync(bundle, string.IsNullOrEmpty(context.ProjectName) ? null : context.ProjectName,
            null, variant, http.RequestAborted);
        var addons = new JsonArray();
        foreach (var (name, (version, _)) in versions)
        {
            if (await AddonFolderAsync(name, version, store, materializer, http.RequestAborted) is { } folder)
                addons.Add(new JsonObject { ["name"] = name, ["version"] = version, ["dir"] = folder });
        }
        if (addons.Count == 0)
            return new JsonObject { ["actions"] = new JsonArray() };
        var answer = await CallHostAsync(host, "list", new JsonObject
        {
            ["addons"] = addons,
            ["context"] = ContextJson(context),
            ["variant"] = variant,
            ["mode"] = mode,
        }, user, http);
        return new JsonObject { ["actions"] = answer["actions"]?.DeepClone() ?? new JsonArray() };
    }

    static async Task<JsonObject> ExecuteAsync(ActionContextRequest context, CurrentUser user, HttpContext http, AddonStore store,
        AddonMaterializer materializer, AddonEndpointHost host, EventStore events,
        string? addonName = null, string? addonVersion = null, string? identifier = null, string? variant = null)
    {
        var (name, version, action) = Required(addonName, addonVersion, identifier);
        variant = string.IsNullOrEmpty(variant) ? "production" : variant;
        Check(context, user, requireEntities: false);
        var folder = await AddonFolderAsync(name, version, store, materializer, http.RequestAborted)
            ?? throw new NotFound($"Addon {name} {version} is not installed");
        var serverUrl = AddonProxy.ServerUrl(http);
        var result = await CallHostAsync(host, "execute", new JsonObject
        {
            ["addon"] = new JsonObject { ["name"] = name, ["version"] = version, ["dir"] = folder },
            ["identifier"] = action,
            ["context"] = ContextJson(context),
            ["variant"] = variant,
            ["serverUrl"] = serverUrl,
        }, user, http);
        if (AyonJson.Text(result["type"]) == "launcher" && result["payload"] is JsonObject payload && payload[LauncherArgsKey] is JsonArray args)
        {
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            await events.DispatchAsync(new NewEvent
            {
                Topic = LauncherTopic,
                Hash = token,
                Project = context.ProjectName,
                User = user.Name,
                Description = $"Launching {action} of {name} {version}",
                Summary = new JsonObject
                {
                    ["addon_name"] = name,
                    ["addon_version"] = version,
                    ["variant"] = variant,
                    ["action_identifier"] = action,
                },
                Payload = new JsonObject { ["args"] = args.DeepClone(), ["context"] = ContextJson(context) },
                Status = "pending",
            }, http.RequestAborted);
            var uri = $"ayon-launcher://action?server_url={Uri.EscapeDataString(serverUrl)}&token={token}";
            payload.Remove(LauncherArgsKey);
            payload["uri"] = uri;
            result["uri"] = uri;
        }
        return result;
    }

    static async Task<JsonObject> TakeAsync(string token, Db db, EventStore events, EventPublisher publisher, HttpContext http)
    {
        var record = await ClaimAsync(token, "in_progress", null, db, events, http.RequestAborted);
        publisher.Wake();
        return new JsonObject
        {
            ["eventId"] = record.Id.ToString("N"),
            ["actionIdentifier"] = record.Summary["action_identifier"]?.DeepClone(),
            ["args"] = record.Payload["args"]?.DeepClone() ?? new JsonArray(),
            ["context"] = record.Payload["context"]?.DeepClone() ?? new JsonObject(),
            ["addonName"] = record.Summary["addon_name"]?.DeepClone(),
            ["addonVersion"] = record.Summary["addon_version"]?.DeepClone(),
            ["variant"] = record.Summary["variant"]?.DeepClone(),
            ["userName"] = record.User,
        };
    }

    static async Task<IResult> AbortAsync(string token, AbortActionRequest? request, Db db, EventStore events, EventPublisher publisher, HttpContext http)
    {
        await ClaimAsync(token, "aborted", string.IsNullOrWhiteSpace(request?.Message) ? "Action aborted" : request.Message, db, events, http.RequestAborted);
        publisher.Wake();
        return Results.NoContent();
    }

    /// <summary>Moves the pending launcher event of <paramref name="token"/> on, once: a second take or abort is a 409.</summary>
    static async Task<EventRecord> ClaimAsync(string token, string status, string? description, Db db, EventStore events, CancellationToken cancellationToken)
    {
        if (!TokenPattern().IsMatch(token))
            throw BadRequest.Field("token", "must be the 64 hexadecimal characters of an action token");
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var found = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Status)>(new CommandDefinition("""
            SELECT id, status FROM events
            WHERE hash = @token AND topic = @topic
            FOR UPDATE
            """, new { token, topic = LauncherTopic }, transaction, cancellationToken: cancellationToken));
        if (found.Id == Guid.Empty)
            throw new NotFound("No action has this token");
        if (found.Status != "pending")
            throw new Conflict($"This action was taken already (its event is {found.Status})");
        var record = await events.UpdateAsync(connection, found.Id, new EventChanges { Status = status, Description = description }, cancellationToken)
            ?? throw new NotFound("No action has this token");
        await transaction.CommitAsync(cancellationToken);
        return record;
    }

    static async Task<JsonObject> ConfigAsync(ActionContextRequest context, CurrentUser user, HttpContext http, AddonStore store,
        AddonMaterializer materializer, AddonEndpointHost host,
        string? addonName = null, string? addonVersion = null, string? identifier = null, string? variant = null)
    {
        var (name, version, action) = Required(addonName, addonVersion, identifier);
        Check(context, user, requireEntities: false);
        var folder = await AddonFolderAsync(name, version, store, materializer, http.RequestAborted)
            ?? throw new NotFound($"Addon {name} {version} is not installed");
        var answer = await CallHostAsync(host, "config", new JsonObject
        {
            ["addon"] = new JsonObject { ["name"] = name, ["version"] = version, ["dir"] = folder },
            ["identifier"] = action,
            ["context"] = ContextJson(context),
            ["variant"] = string.IsNullOrEmpty(variant) ? "production" : variant,
            ["value"] = context.Value?.DeepClone(),
        }, user, http);
        var response = ContextJson(context);
        response["value"] = answer["value"]?.DeepClone() ?? new JsonObject();
        return response;
    }

    static async Task<JsonObject> GetStoredConfigAsync(string hash, CurrentUser user, Db db, HttpContext http)
    {
        RequireHost(user);
        await using var connection = await db.OpenAsync(http.RequestAborted);
        var data = await connection.QuerySingleOrDefaultAsync<JsonObject>(new CommandDefinition(
            "SELECT data FROM action_config WHERE hash = @hash", new { hash }, cancellationToken: http.RequestAborted));
        return new JsonObject { ["hash"] = hash, ["value"] = data ?? new JsonObject() };
    }

    static async Task<IResult> SetStoredConfigAsync(string hash, StoredActionConfig body, CurrentUser user, Db db, HttpContext http)
    {
        RequireHost(user);
        if (string.IsNullOrEmpty(body.AddonName) || string.IsNullOrEmpty(body.Identifier))
            throw BadRequest.Field(string.IsNullOrEmpty(body.AddonName) ? "addonName" : "identifier", "is required");
        await using var connection = await db.OpenAsync(http.RequestAborted);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO action_config (hash, addon_name, addon_version, identifier, project_name, user_name, data)
            VALUES (@hash, @addonName, @addonVersion, @identifier, @projectName, @userName, @data)
            ON CONFLICT (hash) DO UPDATE SET data = EXCLUDED.data, addon_version = EXCLUDED.addon_version, updated_at = now()
            """, new
        {
            hash,
            addonName = body.AddonName,
            addonVersion = body.AddonVersion,
            identifier = body.Identifier,
            projectName = body.ProjectName,
            userName = body.UserName,
            data = body.Value,
        }, cancellationToken: http.RequestAborted));
        return Results.NoContent();
    }

    static void RequireHost(CurrentUser user)
    {
        if (user.Name != AddonHostKey.ServiceUserName && user.ServiceUser != AddonHostKey.ServiceUserName)
            throw new Forbidden("Only the addon host stores action options");
    }

    static (string Name, string Version, string Identifier) Required(string? addonName, string? addonVersion, string? identifier)
    {
        if (string.IsNullOrEmpty(addonName))
            throw BadRequest.Field("addonName", "is required");
        if (string.IsNullOrEmpty(addonVersion))
            throw BadRequest.Field("addonVersion", "is required");
        if (string.IsNullOrEmpty(identifier))
            throw BadRequest.Field("identifier", "is required");
        return (addonName, addonVersion, identifier);
    }

    static void Check(ActionContextRequest context, CurrentUser user, bool requireEntities)
    {
        if (context.EntityType is { } type && !EntityTypes.Contains(type))
            throw BadRequest.Field("entityType", $"must be one of {string.Join(", ", EntityTypes)}");
        if (context.EntityType is not null and not "project" && string.IsNullOrEmpty(context.ProjectName))
            throw BadRequest.Field("projectName", "is required with an entity type");
        if (requireEntities && (context.EntityIds is null || context.EntityIds.Count == 0))
            throw BadRequest.Field("entityIds", "is required");
        if (context.ProjectName is { Length: > 0 } project && !ProjectAccess.MayEnter(user, project))
            throw new Forbidden($"You do not have access to project {project}");
    }

    static JsonObject ContextJson(ActionContextRequest context) => new()
    {
        ["projectName"] = context.ProjectName,
        ["entityType"] = context.EntityType,
        ["entityIds"] = context.EntityIds is null ? null : new JsonArray([.. context.EntityIds.Select(id => (JsonNode?)id)]),
        ["entitySubtypes"] = context.EntitySubtypes is null ? null : new JsonArray([.. context.EntitySubtypes.Select(s => (JsonNode?)s)]),
        ["formData"] = context.FormData?.DeepClone(),
    };

    static async Task<string?> AddonFolderAsync(string name, string version, AddonStore store, AddonMaterializer materializer, CancellationToken cancellationToken) =>
        await store.FilesAsync(name, version, cancellationToken) is { } files ? await materializer.EnsureAsync(files, cancellationToken) : null;

    /// <summary>One JSON call to the addon host's actions; its errors keep their status (a failing addon is a 502, a hung one a 504).</summary>
    static async Task<JsonObject> CallHostAsync(AddonEndpointHost host, string operation, JsonObject body, CurrentUser user, HttpContext http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://addon-host/_anvil/actions/{operation}")
        {
            Content = JsonContent.Create(body),
        };
        AddonProxy.AddIdentity(request, user, null, AddonProxy.ServerUrl(http));
        HttpResponseMessage answer;
        try
        {
            answer = await host.SendAsync(request, http.RequestAborted);
        }
        catch (TimeoutException e)
        {
            throw new AyonError(504, $"The addon host {e.Message} for actions/{operation}");
        }
        catch (AddonHostUnavailable e)
        {
            throw new AyonError(502, $"Actions could not run: {e.Message}");
        }
        using (answer)
        {
            var text = await answer.Content.ReadAsStringAsync(http.RequestAborted);
            JsonObject? json;
            try
            {
                json = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                json = null;
            }
            if (!answer.IsSuccessStatusCode)
            {
                var detail = json?["detail"] is JsonValue d && d.TryGetValue<string>(out var message) ? message : $"the addon host answered {(int)answer.StatusCode}";
                throw new AyonError((int)answer.StatusCode, detail);
            }
            return json ?? throw new AyonError(502, "The addon host answered something that is not JSON");
        }
    }
}
