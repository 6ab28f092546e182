using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>What a user does to a folder's content, each checked against its own block of the permission model.</summary>
public enum FolderAction
{
    Read,
    Create,
    Update,
    Publish,
    Delete,
}

/// <summary>
/// One user's rights on one project, resolved once per request from the access groups the user holds
/// there (project overrides first, then the studio definitions): the one place that answers "may this
/// user see or change this". Managers, admins and services are unrestricted. Read restrictions become
/// SQL (<see cref="ReadCondition"/>) so lists are filtered before paging; writes are checked against the
/// owning folder's path.
/// </summary>
public sealed class ProjectAccess
{
    /// <summary>A folder a whitelist names: the folder with its subtree, or only the subtree (<c>children</c>).</summary>
    sealed record FolderGrant(string Path, bool IncludesSelf, bool FromAssignment);

    readonly Dictionary<FolderAction, IReadOnlyList<FolderGrant>?> _folders = [];
    readonly HashSet<string>? _readableAttributes;
    readonly HashSet<string>? _writableAttributes;
    readonly HashSet<string>? _writableFields;
    readonly HashSet<string>? _linkTypes;
    readonly bool _hideSiblingTasks;

    public string UserName { get; }

    /// <summary>True for managers, admins and services: no restriction applies.</summary>
    public bool Unrestricted { get; }

    /// <summary>True when no folder is hidden from the user (they may still be restricted in what they change).</summary>
    public bool ReadsEverything => _folders.GetValueOrDefault(FolderAction.Read) is null;

    /// <summary>The combined permissions (AYON's JSON shape); null when unrestricted.</summary>
    public JsonObject? Permissions { get; }

    ProjectAccess(string userName) => (UserName, Unrestricted) = (userName, true);

    ProjectAccess(string userName, JsonObject permissions, IReadOnlyList<string> assignedFolders)
    {
        UserName = userName;
        Permissions = permissions;
        foreach (var action in Enum.GetValues<FolderAction>())
            _folders[action] = Grants(permissions[action.ToString().ToLowerInvariant()], assignedFolders);
        _readableAttributes = Whitelist(permissions["attrib_read"], "attributes");
        _writableAttributes = Whitelist(permissions["attrib_write"], "attributes");
        // An empty field list restricts attributes only; fields stay writable.
        _writableFields = Whitelist(permissions["attrib_write"], "fields") is { Count: > 0 } fields ? fields : null;
        _linkTypes = Whitelist(permissions["links"], "link_types");
        _hideSiblingTasks = permissions["advanced"]?["show_sibling_tasks"]?.GetValue<bool>() == false
            && _folders[FolderAction.Read]?.Any(g => g.FromAssignment) == true;
    }

    public static ProjectAccess Full(string userName) => new(userName);

    /// <summary>
    /// The user's rights on the project; 403 when the user holds no access group there, or the API
    /// key used is not valid for it.
    /// </summary>
    public static Task<ProjectAccess> LoadAsync(NpgsqlConnection connection, CurrentUser user, ProjectContext project, CancellationToken cancellationToken) =>
        LoadAsync(connection, (sql, parameters) => new CommandDefinition(sql, parameters, cancellationToken: cancellationToken), user, project);

    /// <summary>The user's rights on the session's project (see the other overload), read through the session.</summary>
    public static Task<ProjectAccess> LoadAsync(ProjectSession session, CurrentUser user, ProjectContext project, CancellationToken cancellationToken) =>
        LoadAsync(session.Connection, (sql, parameters) => session.Command(sql, parameters, cancellationToken), user, project);

    static async Task<ProjectAccess> LoadAsync(NpgsqlConnection connection, Func<string, object?, CommandDefinition> command, CurrentUser user, ProjectContext project)
    {
        var projectName = project.Name;
        if (user.Scope?.AllowsProject(projectName) == false)
            throw new Forbidden($"This API key is not valid for project {projectName}");
        if (user.IsManager)
            return Full(user.Name);
        var groupNames = GroupsOn(user.User, projectName);
        if (groupNames.Count == 0)
            throw new Forbidden("No access group assigned on this project");

        var definitions = project.AccessGroups;
        // A group that no longer exists grants nothing; holding only such groups is holding none.
        var held = groupNames.Where(definitions.ContainsKey).Select(n => definitions[n]).ToList();
        if (held.Count == 0)
            throw new Forbidden("No access group assigned on this project");
        var permissions = Entities.Permissions.Combine(held);

        IReadOnlyList<string> assigned = [];
        if (Enum.GetValues<FolderAction>().Any(a => AccessList(permissions[a.ToString().ToLowerInvariant()]).Any(e => AyonJson.Text(e["access_type"]) == "assigned")))
            assigned = [.. await connection.QueryAsync<string>(command("""
                SELECT DISTINCT f.path FROM tasks t JOIN folders f ON f.id = t.folder_id WHERE @userName = ANY(t.assignees)
                """, new { userName = user.Name }))];
        return new ProjectAccess(user.Name, permissions, assigned);
    }

    /// <summary>The access groups the user holds on the project (project names match case-insensitively).</summary>
    public static IReadOnlyList<string> GroupsOn(UserRecord user, string projectName) =>
        user.Data["accessGroups"] is JsonObject perProject
            && perProject.FirstOrDefault(p => string.Equals(p.Key, projectName, StringComparison.OrdinalIgnoreCase)).Value is JsonArray groups
            ? [.. groups.Select(g => g is JsonValue v && v.TryGetValue<string>(out var name) ? name : null).OfType<string>()]
            : [];

    /// <summary>
    /// The projects the user may open (their lists, entities and events), lower-cased; null when
    /// every project is open to them. Holding a group on a project opens it; a scoped API key narrows it.
    /// </summary>
    public static IReadOnlySet<string>? VisibleProjects(CurrentUser user)
    {
        var held = user.IsManager ? null
            : user.User.Data["accessGroups"] is JsonObject perProject
                ? perProject.Where(p => p.Value is JsonArray { Count: > 0 }).Select(p => p.Key)
                : [];
        if (user.Scope?.Projects is { } scoped)
            held = held is null ? scoped : held.Where(user.Scope.AllowsProject);
        return held?.Select(n => n.ToLowerInvariant()).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public static bool MayEnter(CurrentUser user, string projectName) =>
        VisibleProjects(user)?.Contains(projectName.ToLowerInvariant()) != false;

    public bool Allows(FolderAction action, string folderPath)
    {
        if (_folders.GetValueOrDefault(action) is not { } grants)
            return true;
        return grants.Any(g => (g.IncludesSelf && g.Path == folderPath) || folderPath.StartsWith(g.Path + "/", StringComparison.Ordinal)
            // The folders above a readable one are readable too, so its place in the tree can be shown.
            || (action == FolderAction.Read && g.Path.StartsWith(folderPath + "/", StringComparison.Ordinal)));
    }

    /// <summary>
    /// 403 unless the user may update or publish in some folder of the project: a stored thumbnail is
    /// a write, so a member who may change nothing may not upload one.
    /// </summary>
    public void RequireSomeWrite(string what)
    {
        if (new[] { FolderAction.Update, FolderAction.Publish }.Any(a => _folders.GetValueOrDefault(a) is not { Count: 0 }))
            return;
        throw new Forbidden($"You may not {what} in this project");
    }

    /// <summary>403 naming what is refused unless <paramref name="action"/> is allowed on the folder (path without leading slash).</summary>
    public void Require(FolderAction action, string folderPath, string what)
    {
        if (!Allows(action, folderPath))
            throw new Forbidden($"You may not {what} in /{folderPath}");
    }

    /// <summary>
    /// The SQL condition keeping the rows of <paramref name="definition"/>'s SELECT the user may read,
    /// or null when nothing is hidden. Uses the parameters of <see cref="Parameters"/>.
    /// </summary>
    public string? ReadCondition(EntityDefinition definition)
    {
        if (_folders.GetValueOrDefault(FolderAction.Read) is null)
            return null;
        return _hideSiblingTasks && definition.TaskAssignees is { } assignees
            ? $"({definition.FolderPath} LIKE ANY(@accessReadUnassigned) OR @accessUser = ANY({assignees}))"
            : $"{definition.FolderPath} LIKE ANY(@accessRead)";
    }

    /// <summary>The parameters <see cref="ReadCondition"/> refers to.</summary>
    public IEnumerable<(string Name, object Value)> Parameters
    {
        get
        {
            var grants = _folders.GetValueOrDefault(FolderAction.Read) ?? [];
            yield return ("accessRead", ReadPatterns(grants));
            yield return ("accessReadUnassigned", ReadPatterns([.. grants.Where(g => !g.FromAssignment)]));
            yield return ("accessUser", UserName);
        }
    }

    /// <summary>True when <see cref="FilterAttributes"/> removes anything: the user may read only some attributes.</summary>
    public bool FiltersAttributes => _readableAttributes is not null;

    /// <summary>Removes from an entity row the attribute values the user may not read.</summary>
    public JsonObject FilterAttributes(JsonObject row)
    {
        if (_readableAttributes is null)
            return row;
        foreach (var key in new[] { "attrib", "ownAttrib" })
        {
            if (row[key] is JsonObject values)
                foreach (var name in values.Select(p => p.Key).Where(n => !_readableAttributes.Contains(n)).ToList())
                    values.Remove(name);
            else if (row[key] is JsonArray names)
                row[key] = new JsonArray([.. names.Where(n => _readableAttributes.Contains(n!.GetValue<string>())).Select(n => n!.DeepClone())]);
        }
        return row;
    }

    public bool MayReadAttribute(string name) => _readableAttributes?.Contains(name) != false;

    /// <summary>403 naming the first attribute or field of a write the user may not change.</summary>
    public void RequireWritable(EntityDefinition definition, JsonObject data)
    {
        foreach (var (key, value) in data)
        {
            if (key == "attrib" && value is JsonObject attrib && _writableAttributes is not null)
            {
                if (attrib.Select(p => p.Key).FirstOrDefault(n => !_writableAttributes.Contains(n)) is { } attribute)
                    throw new Forbidden($"You may not change attribute {attribute} of a {definition.Type}");
            }
            else if (key is not ("attrib" or "id" or "thumbnailId") && _writableFields is not null && definition.Field(key) is not null
                     && !_writableFields.Contains(SnakeCase(key)))
                throw new Forbidden($"You may not change field {key} of a {definition.Type}");
        }
    }

    /// <summary>403 unless the user may create and delete links of the type (<c>name|input|output</c>).</summary>
    public void RequireLinkType(string linkType)
    {
        if (_linkTypes?.Contains(linkType) == false)
            throw new Forbidden($"You may not create or delete {linkType} links");
    }

    /// <summary>What a LIKE ANY needs: the granted folders, their subtrees and, for reading, their ancestors.</summary>
    static string[] ReadPatterns(IReadOnlyList<FolderGrant> grants)
    {
        var patterns = new HashSet<string>();
        foreach (var grant in grants)
        {
            var escaped = SqlText.EscapeLike(grant.Path);
            patterns.Add(escaped + "/%");
            if (grant.IncludesSelf)
                patterns.Add(escaped);
            var segments = grant.Path.Split('/');
            for (var i = 1; i < segments.Length; i++)
                patterns.Add(SqlText.EscapeLike(string.Join('/', segments[..i])));
        }
        return [.. patterns];
    }


    static IReadOnlyList<FolderGrant>? Grants(JsonNode? block, IReadOnlyList<string> assignedFolders)
    {
        if (!Entities.Permissions.IsEnabled(block))
            return null;
        var grants = new List<FolderGrant>();
        foreach (var entry in AccessList(block))
        {
            var path = (AyonJson.Text(entry["path"]) ?? "").Trim('/');
            switch (AyonJson.Text(entry["access_type"]))
            {
                case "assigned":
                    grants.AddRange(assignedFolders.Select(f => new FolderGrant(f, true, true)));
                    break;
                case "hierarchy" when path.Length > 0:
                    grants.Add(new FolderGrant(path, true, false));
                    break;
                case "children" when path.Length > 0:
                    grants.Add(new FolderGrant(path, false, false));
                    break;
            }
        }
        return grants;
    }

    static IEnumerable<JsonObject> AccessList(JsonNode? block) => (block?["access_list"] as JsonArray ?? []).OfType<JsonObject>();

    static HashSet<string>? Whitelist(JsonNode? block, string key) =>
        Entities.Permissions.IsEnabled(block)
            ? [.. (block![key] as JsonArray ?? []).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>()]
            : null;


    static string SnakeCase(string name) => string.Concat(name.Select(c => char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));
}
