using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Anvil.Server.Messaging;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Users;

/// <summary>A session of a user as listed: an opaque id, never the token.</summary>
public sealed record UserSessionModel(string Id, DateTimeOffset CreatedAt, string? ClientIp, string? UserAgent, bool IsCurrent);

public sealed record UserSessionsResponse(IReadOnlyList<UserSessionModel> Sessions);

/// <summary>
/// The users API: reading, creating, changing, renaming and deleting users, passwords, sessions and
/// personal API keys. Managers manage users, but only admins touch admins and the role flags.
/// </summary>
public static partial class UserEndpoints
{
    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_\.\-]*[a-zA-Z0-9]$")]
    private static partial Regex NamePattern();

    /// <summary>Keys of <c>data</c> that hold credentials or are computed; never written from a request body.</summary>
    static readonly string[] ProtectedDataKeys = ["password", "hashedPassword", "apiKey", "apiKeys", "apiKeyPreview", "userLevel"];

    static readonly string[] RoleFlags = ["isAdmin", "isManager", "isService"];

    const string PasswordSpecials = ".-!@#$%^&*()_+";

    public static void MapUserEndpoints(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapGet("/me", GetCurrentUser).WithName("get_current_user")
            .WithSummary("The user the request acts as.");
        users.MapGet("", ListAsync).WithName("list_users").WithSummary("Every user (managers).");
        users.MapGet("/{name}", GetAsync).WithName("get_user")
            .WithSummary("A user: in full for themselves and managers, else only the name and full name.");
        users.MapPut("/{name}", CreateAsync).WithName("create_user").WithSummary("Creates a user (managers).");
        users.MapPatch("/{name}", PatchAsync).WithName("patch_user")
            .WithSummary("Changes a user: attributes per key, data merged, active. Deactivating ends every session of the user.");
        users.MapPatch("/{name}/accessGroups", SetAccessGroupsAsync).WithName("set_user_access_groups")
            .WithSummary("Replaces the user's access groups on the given projects (managers).");
        users.MapDelete("/{name}", DeleteAsync).WithName("delete_user").WithSummary("Deletes a user and ends their sessions (managers).");
        users.MapPatch("/{name}/rename", RenameAsync).WithName("change_user_name").WithSummary("Renames a user (managers).");
        users.MapPost("/{name}/rename", RenameAsync).ExcludeFromDescription();
        users.MapPatch("/{name}/password", ChangePasswordAsync).WithName("change_password")
            .WithSummary("Sets a password: one's own with the current password, or another user's as a manager.");
        users.MapGet("/{name}/sessions", ListSessionsAsync).WithName("get_user_sessions")
            .WithSummary("The user's live sessions, by opaque id (self or managers).");
        users.MapDelete("/{name}/sessions/{id}", DeleteSessionAsync).WithName("delete_user_session");
        MapApiKeyEndpoints(users);
        MapWebUiEndpoints(users);
    }

    static UserModel GetCurrentUser(CurrentUser user) => UserModel.From(user.User);

    static async Task<IReadOnlyList<UserModel>> ListAsync(CurrentUser user, UserStore users, CancellationToken cancellationToken)
    {
        user.RequireManager("do this");
        return [.. (await users.AllAsync(cancellationToken)).Select(UserModel.From)];
    }

    static async Task<IResult> GetAsync(string name, CurrentUser user, UserStore users, CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        if (IsSelf(user, target) || user.IsManager)
            return Results.Json(UserModel.From(target), AyonJson.Options);
        return Results.Json(new JsonObject
        {
            ["name"] = target.Name,
            ["attrib"] = new JsonObject { ["fullName"] = target.Attrib["fullName"]?.DeepClone() },
        }, AyonJson.Options);
    }

    static async Task<IResult> CreateAsync(string name, JsonObject body, CurrentUser user, UserStore users,
        AyonOptions options, CancellationToken cancellationToken)
    {
        user.RequireManager("do this");
        ValidateName(name, "name");
        var data = CleanData(body["data"], "data");
        foreach (var flag in RoleFlags)
            if (IsTrue(data[flag]) && !user.IsAdmin)
                throw new Forbidden($"Only admins may set {flag}");
        var attrib = body["attrib"] switch
        {
            null => new JsonObject(),
            JsonObject o => RemoveNulls(o),
            _ => throw BadRequest.Field("attrib", "an object is expected"),
        };
        var active = ReadBool(body["active"], "active") ?? true;
        var password = ReadString(body["password"], "password");
        var isService = IsTrue(data["isService"]);
        if (isService)
        {
            password = null;
            attrib.Remove("email");
        }
        var hash = password is null ? null : Secrets.HashPassword(password, options.PasswordHashIterations);

        await users.CreateAsync(name, attrib, data, active, hash, user.Name, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> PatchAsync(string name, JsonObject body, CurrentUser user, UserStore users, SessionStore sessions,
        CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        var self = IsSelf(user, target);
        if (!user.IsManager && !(self && body.All(p => p.Key == "attrib" || p.Value is null)))
            throw new Forbidden(self ? "You may only change your own attributes" : "Only managers may change other users");
        if (!self && (target.IsAdmin || target.IsService) && !user.IsAdmin)
            throw new Forbidden("Only admins may change admins and service users");

        var attrib = (JsonObject)target.Attrib.DeepClone();
        if (body["attrib"] is JsonObject attribPatch)
            foreach (var (key, value) in attribPatch)
            {
                if (value is null)
                    attrib.Remove(key);
                else
                    attrib[key] = value.DeepClone();
            }
        else if (body["attrib"] is not null)
            throw BadRequest.Field("attrib", "an object is expected");

        var data = (JsonObject)target.Data.DeepClone();
        if (body.ContainsKey("data") && body["data"] is not null)
        {
            if (body["data"] is not JsonObject patch)
                throw BadRequest.Field("data", "an object is expected");
            foreach (var (key, value) in patch)
            {
                if (!ProtectedDataKeys.Contains(key) && RoleFlags.Contains(key) && IsTrue(value) != IsTrue(target.Data[key]))
                {
                    if (!user.IsAdmin)
                        throw new Forbidden($"Only admins may change {key}");
                    if (self)
                        throw new Forbidden("You cannot change your own role");
                }
            }
            data = AyonJson.MergeOneLevel(target.Data, patch, ProtectedDataKeys.Contains);
        }
        var active = ReadBool(body["active"], "active") ?? target.Active;
        if (self && !active)
            throw new Forbidden("You cannot deactivate yourself");
        if (IsTrue(data["isService"]))
            attrib.Remove("email");

        await users.UpdateAsync(target.Name, attrib, data, active, cancellationToken);
        if (target.Active && !active)
            await sessions.DeleteAllAsync(target.Name);
        return Results.NoContent();
    }

    static async Task<IResult> SetAccessGroupsAsync(string name, JsonObject body, CurrentUser user, UserStore users,
        CancellationToken cancellationToken)
    {
        user.RequireManager("do this");
        var target = await RequireUserAsync(users, name, cancellationToken);
        if (body["accessGroups"] is not JsonArray items)
            throw BadRequest.Field("accessGroups", "a list of {project, accessGroups} is expected");
        var data = (JsonObject)target.Data.DeepClone();
        var perProject = data["accessGroups"] as JsonObject ?? new JsonObject();
        data["accessGroups"] = perProject;
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item || ReadString(item["project"], $"accessGroups.{i}.project") is not { Length: > 0 } project)
                throw BadRequest.Field($"accessGroups.{i}.project", "field required", "missing");
            if (item["accessGroups"] is not JsonArray groups || groups.Any(g => g is not JsonValue v || !v.TryGetValue<string>(out _)))
                throw BadRequest.Field($"accessGroups.{i}.accessGroups", "a list of group names is expected");
            if (groups.Count == 0)
                perProject.Remove(project);
            else
                perProject[project] = groups.DeepClone();
        }
        await users.SetDataAsync(target.Name, data, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string name, CurrentUser user, UserStore users, SessionStore sessions,
        CancellationToken cancellationToken)
    {
        user.RequireManager("do this");
        var target = await RequireUserAsync(users, name, cancellationToken);
        if (IsSelf(user, target))
            throw new Forbidden("You cannot delete yourself");
        if ((target.IsAdmin || target.IsService) && !user.IsAdmin)
            throw new Forbidden("Only admins may delete admins and service users");

        await users.DeleteAsync(target.Name, user.Name, cancellationToken);
        await sessions.DeleteAllAsync(target.Name);
        return Results.NoContent();
    }

    static async Task<IResult> RenameAsync(string name, JsonObject body, CurrentUser user, UserStore users,
        SessionStore sessions, CancellationToken cancellationToken)
    {
        user.RequireManager("do this");
        var field = body.ContainsKey("newName") ? "newName" : "name";
        var newName = ReadString(body[field], field) ?? throw BadRequest.Field("newName", "field required", "missing");
        ValidateName(newName, field);
        var target = await RequireUserAsync(users, name, cancellationToken);
        if ((target.IsAdmin || target.IsService) && !user.IsAdmin)
            throw new Forbidden("Only admins may rename admins and service users");
        if (newName == target.Name)
            return Results.NoContent();

        await users.RenameAsync(target.Name, newName, user.Name, cancellationToken);
        // Sessions name their user; they end with the old name.
        await sessions.DeleteAllAsync(target.Name);
        return Results.NoContent();
    }

    static async Task<IResult> ChangePasswordAsync(string name, JsonObject body, CurrentUser user, UserStore users, SessionStore sessions, AyonOptions options,
        CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        var self = IsSelf(user, target);
        if (!self)
        {
            user.RequireManager("do this");
            if ((target.IsAdmin || target.IsService) && !user.IsAdmin)
                throw new Forbidden("Only admins may set the credentials of admins and service users");
        }

        if (ReadString(body["apiKey"], "apiKey") is { } apiKey)
        {
            if (!target.IsService)
                throw BadRequest.Field("apiKey", "only service users have a service API key");
            if (!user.IsAdmin)
                throw new Forbidden("Only admins may set service API keys");
            if (apiKey.Length < 16)
                throw BadRequest.Field("apiKey", "an API key needs at least 16 characters");
            await users.AddApiKeyAsync(target.Name, Secrets.HashApiKey(apiKey, options.AuthPassPepper), Secrets.Preview(apiKey), "service key", cancellationToken);
            return Results.NoContent();
        }

        var password = ReadString(body["password"], "password") ?? throw BadRequest.Field("password", "field required", "missing");
        if (target.IsService)
            throw BadRequest.Field("password", "service users cannot have a password");
        if (self && !user.IsService)
        {
            // Your own password: prove you know the current one, and choose a strong one.
            var current = ReadString(body["currentPassword"], "currentPassword");
            if (target.PasswordHash is not null)
            {
                if (current is null)
                    throw BadRequest.Field("currentPassword", "the current password is required", "missing");
                if (!Secrets.VerifyPassword(current, target.PasswordHash, options.AuthPassPepper, options.PasswordHashIterations, out _))
                    throw new Forbidden("Invalid current password");
            }
            CheckComplexity(password, options);
        }
        await users.SetPasswordHashAsync(target.Name, Secrets.HashPassword(password, options.PasswordHashIterations), cancellationToken);
        // A new password shuts out whoever held the old one: every other session of the user ends.
        await sessions.DeleteAllAsync(target.Name, keepToken: self ? user.SessionToken : null);
        return Results.NoContent();
    }

    /// <summary>AYON's complexity rule for passwords users choose themselves.</summary>
    public static void CheckComplexity(string password, AyonOptions options)
    {
        if (password.Length < options.AuthPassMinLength)
            throw BadRequest.Field("password", $"Password must be at least {options.AuthPassMinLength} characters long");
        if (options.AuthPassComplex &&
            !(password.Any(char.IsLetter) && password.Any(char.IsDigit) && password.Any(c => PasswordSpecials.Contains(c))))
            throw BadRequest.Field("password", $"Password must contain letters, digits and at least one of {PasswordSpecials}");
    }

    static async Task<UserSessionsResponse> ListSessionsAsync(string name, CurrentUser user, UserStore users, SessionStore sessions,
        CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        RequireSelfOrManager(user, target);
        var current = user.SessionToken is null ? null : SessionStore.SessionIdOfToken(user.SessionToken);
        var list = await sessions.ListAsync(target.Name);
        return new([.. list.Select(s => new UserSessionModel(s.Id, s.Info.CreatedAt, s.Info.ClientIp, s.Info.UserAgent, s.Id == current))]);
    }

    static async Task<IResult> DeleteSessionAsync(string name, string id, CurrentUser user, UserStore users, SessionStore sessions,
        CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        RequireSelfOrManager(user, target);
        if (!await sessions.DeleteByIdAsync(target.Name, id))
            throw new NotFound($"Session {id} not found");
        return Results.NoContent();
    }

    /// <summary>Renames (or, with a null new name, removes) a user among the assignees of every project's tasks, as AYON.</summary>
    static async Task<UserRecord> RequireUserAsync(UserStore users, string name, CancellationToken cancellationToken) =>
        await users.GetAsync(name, cancellationToken) ?? throw new NotFound($"User {name} not found");

    static bool IsSelf(CurrentUser user, UserRecord target) => string.Equals(user.Name, target.Name, StringComparison.OrdinalIgnoreCase);

    static void RequireSelfOrManager(CurrentUser user, UserRecord target)
    {
        if (!IsSelf(user, target) && !user.IsManager)
            throw new Forbidden("Only the user and managers may do this");
    }

    static void ValidateName(string name, string field)
    {
        if (name.Length > 128 || !NamePattern().IsMatch(name))
            throw BadRequest.Field(field, "a user name has letters, digits, '_', '.' and '-', and starts and ends with a letter or digit");
    }

    static JsonObject CleanData(JsonNode? node, string field)
    {
        var data = node switch
        {
            null => new JsonObject(),
            JsonObject o => RemoveNulls(o),
            _ => throw BadRequest.Field(field, "an object is expected"),
        };
        foreach (var key in ProtectedDataKeys)
            data.Remove(key);
        return data;
    }

    static JsonObject RemoveNulls(JsonObject source)
    {
        var result = new JsonObject();
        foreach (var (key, value) in source)
            if (value is not null)
                result[key] = value.DeepClone();
        return result;
    }

    static bool IsTrue(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    static bool? ReadBool(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        _ => throw BadRequest.Field(field, "a boolean is expected"),
    };

    static string? ReadString(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw BadRequest.Field(field, "a string is expected"),
    };
}
