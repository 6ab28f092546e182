using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;

namespace Anvil.Server.Entities;

/// <summary>
/// Everything the server knows about one entity type, in one place: its table and columns (REST rows
/// and GraphQL nodes read the same list), its writable fields, its GraphQL node, connections,
/// filters and sorts, what access it needs and its thumbnail. Each type is one such definition
/// (Features/&lt;Type&gt;s/&lt;Type&gt;Entity.cs), listed in <see cref="EntityRegistry"/>; storage, REST,
/// operations, GraphQL, events, access, thumbnails and listings are generic over it.
/// </summary>
public sealed class EntityDefinition
{
    /// <summary>AYON's entity type name: <c>folder</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The REST collection and the table: <c>folders</c>.</summary>
    public required string Plural { get; init; }

    public string Table => Plural;

    /// <summary>
    /// The columns of a row, each under its API name, over <see cref="From"/> (the row's table is
    /// aliased <c>e</c>). <c>@inheritedByRoots</c> is what root folders inherit.
    /// </summary>
    public required IReadOnlyList<EntityColumn> Columns { get; init; }

    /// <summary>Columns only GraphQL shows (counts, version lists...), read only when a query asks for them.</summary>
    public IReadOnlyList<EntityColumn> GraphColumns { get; init; } = [];

    /// <summary>The FROM clause: the row's table, aliased <c>e</c>, and its joins.</summary>
    public required string From { get; init; }

    /// <summary>
    /// The path of the folder the row belongs to (the folder itself for folders), as an expression
    /// over <see cref="From"/>: what access lists are matched against.
    /// </summary>
    public required string FolderPath { get; init; }

    /// <summary>
    /// The assignees of the task the row belongs to (tasks and workfiles), as an expression over
    /// <see cref="From"/>; null for types outside tasks. Hiding sibling tasks hides their rows too.
    /// </summary>
    public string? TaskAssignees { get; init; }

    /// <summary>Writable fields beyond the common ones (attrib, data, active, status, tags).</summary>
    public required IReadOnlyList<EntityField> Fields { get; init; }

    /// <summary>The field naming the parent entity (<c>folderId</c>), and its type; null for none.</summary>
    public EntityField? ParentField { get; init; }

    public string? ParentType { get; init; }

    /// <summary>
    /// The row's <c>path</c> as <see cref="Columns"/> read it, from its parent's path and its own values:
    /// what a batch of creates names its new rows by (in their events) without reading them back. Null
    /// where the path needs the database (folders, whose paths are derived after the write).
    /// </summary>
    public Func<string, JsonObject, string>? PathUnderParent { get; init; }

    /// <summary>A <see cref="PathUnderParent"/>: the parent's path, then the row's name.</summary>
    public static string NameUnderParent(string parentPath, JsonObject values) => $"{parentPath}/{values["name"]!.GetValue<string>()}";

    /// <summary>What a 409 on a duplicate says, e.g. "a folder of that name exists under this parent".</summary>
    public required string DuplicateMessage { get; init; }

    public EntityRules Rules { get; init; } = new();

    // ---- access ------------------------------------------------------------------------------------

    /// <summary>What creating (or moving) one needs on the destination folder (AYON: folders and tasks are created, the rest published).</summary>
    public FolderAction CreateAction { get; init; } = FolderAction.Publish;

    /// <summary>What changing one needs on its folder.</summary>
    public FolderAction UpdateAction { get; init; } = FolderAction.Publish;

    /// <summary>True when publish rights may set the thumbnail alone (a folder's thumbnail is part of what is published for it).</summary>
    public bool PublishSetsThumbnail { get; init; }

    // ---- thumbnails --------------------------------------------------------------------------------

    /// <summary>
    /// The thumbnail shown for an entity (by <c>@id</c>) when it has none of its own, as a subquery
    /// over the row <c>e</c>; null for none. Only types with a <c>thumbnailId</c> field have thumbnail routes.
    /// </summary>
    public string? ThumbnailFallback { get; init; }

    public bool HasThumbnail => Field("thumbnailId") is not null;

    // ---- GraphQL -----------------------------------------------------------------------------------

    /// <summary>The GraphQL node type: <c>FolderNode</c>.</summary>
    public required string NodeName { get; init; }

    /// <summary>Node fields beyond the common ones (id, name, status, attrib, ...).</summary>
    public required IReadOnlyList<NodeField> NodeFields { get; init; }

    /// <summary>Node fields naming another entity: <c>folder</c> of a task.</summary>
    public IReadOnlyList<ParentLink> Parents { get; init; } = [];

    /// <summary>Connections of a node to the entities under it: <c>tasks</c> of a folder.</summary>
    public IReadOnlyList<ChildLink> Children { get; init; } = [];

    /// <summary>The effective attributes of the row as a jsonb expression (for sorting and filtering on attributes).</summary>
    public string AttribExpression { get; init; } = "e.attrib";

    /// <summary>The columns <c>search</c> looks in.</summary>
    public required IReadOnlyList<string> SearchColumns { get; init; }

    /// <summary>The filter arguments of the type's connections beyond the common ones, <c>filter</c> and <c>search</c>.</summary>
    public required IReadOnlyList<EntityFilter> Filters { get; init; }

    /// <summary>The <c>sortBy</c> names this type knows beyond the common ones, each a text expression (see <see cref="EntitySort"/>).</summary>
    public required IReadOnlyDictionary<string, string> Sorts { get; init; }

    // ---- derived -----------------------------------------------------------------------------------

    /// <summary>The fields every project entity shares.</summary>
    public static readonly IReadOnlyList<EntityField> CommonFields =
    [
        new("data", "data", FieldKind.JsonObject),
        new("active", "active", FieldKind.Boolean),
        new("status", "status", FieldKind.Text),
        new("tags", "tags", FieldKind.TextList),
    ];

    /// <summary>The common fields, then the type's own (made once: every entity written walks them).</summary>
    public IReadOnlyList<EntityField> AllFields => _allFields ??= [.. CommonFields, .. Fields];

    EntityField[]? _allFields;

    public EntityField? Field(string name) => AllFields.FirstOrDefault(f => f.Name == name);

    string? _select;

    /// <summary>The read query of a REST row, without WHERE.</summary>
    public string Select => _select ??= $"SELECT {string.Join(", ", Columns.Select(c => c.SelectItem))}\n{From}";

    /// <summary>
    /// <paramref name="statement"/> with the joins of its <see cref="From"/> that nothing else in it reads left out. Every
    /// join of a type's <see cref="From"/> reaches a parent the row always has (a NOT NULL key) or is a LEFT JOIN on a
    /// key, so leaving one out changes no row; a query reading only the row's own columns (the loader's) then plans and
    /// runs over one table. A join stays when its alias appears as <c>alias.</c> anywhere else in the statement (or in
    /// the ON of a join that stays); a column named without its alias must not rely on a join.
    /// </summary>
    public string WithoutUnreadJoins(string statement)
    {
        var at = statement.IndexOf(From, StringComparison.Ordinal);
        if (at < 0 || statement.IndexOf(From, at + 1, StringComparison.Ordinal) >= 0)
            return statement;
        var lines = From.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reading = statement.Remove(at, From.Length);
        var kept = new List<string>();
        for (var i = lines.Length - 1; i >= 1; i--)
        {
            var words = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var alias = words[Array.IndexOf(words, "JOIN") + 2];
            if (!System.Text.RegularExpressions.Regex.IsMatch(reading, $@"(?<![\w.""]){alias}\."))
                continue;
            kept.Insert(0, lines[i]);
            reading += "\n" + lines[i];
        }
        if (kept.Count == lines.Length - 1)
            return statement;
        return string.Concat(statement.AsSpan(0, at), string.Join("\n", [lines[0], .. kept]), statement.AsSpan(at + From.Length));
    }

    IReadOnlyList<EntityColumn>? _allColumns;

    /// <summary>Every column a GraphQL node can read: <see cref="Columns"/> and <see cref="GraphColumns"/>.</summary>
    public IReadOnlyList<EntityColumn> AllColumns => _allColumns ??= [.. Columns, .. GraphColumns];

    /// <summary>
    /// The SELECT list (without the keyword) of the named columns, in <see cref="AllColumns"/> order;
    /// all of them for null. <c>id</c> is always read (loaders and nested connections key on it).
    /// </summary>
    public string SelectList(IReadOnlySet<string>? aliases) =>
        string.Join(", ", AllColumns.Where(c => aliases is null || c.Alias == "id" || aliases.Contains(c.Alias)).Select(c => c.SelectItem));

    IReadOnlyList<EntityFilter>? _allFilters;

    /// <summary>Every filter argument of the type's connections, in the order GraphQL declares them.</summary>
    public IReadOnlyList<EntityFilter> AllFilters => _allFilters ??=
        [.. EntityFilter.Common, EntityFilter.Advanced(this), EntityFilter.Search(SearchColumns), EntityFilter.Attributes(this), .. Filters];

    IReadOnlyDictionary<string, FilterColumn>? _filterColumns;

    /// <summary>
    /// The keys AYON's filter language may name on this type (snake_case, as <see cref="SqlFilter"/> looks
    /// them up): the common and writable fields, the meta columns, <c>attrib</c> (effective values) and <c>data</c>.
    /// </summary>
    public IReadOnlyDictionary<string, FilterColumn> FilterColumns => _filterColumns ??= BuildFilterColumns();

    IReadOnlyDictionary<string, FilterColumn> BuildFilterColumns()
    {
        var columns = new Dictionary<string, FilterColumn>
        {
            ["id"] = new("e.id", FilterColumnKind.Uuid),
            ["created_at"] = new("e.created_at", FilterColumnKind.Timestamp),
            ["updated_at"] = new("e.updated_at", FilterColumnKind.Timestamp),
            ["created_by"] = new("e.created_by", FilterColumnKind.Text),
            ["updated_by"] = new("e.updated_by", FilterColumnKind.Text),
        };
        foreach (var field in AllFields)
            columns[SqlFilter.ToSnakeCase(field.Name)] = new("e." + field.Column, field.Kind switch
            {
                FieldKind.Id => FilterColumnKind.Uuid,
                FieldKind.Integer => FilterColumnKind.Integer,
                FieldKind.Boolean => FilterColumnKind.Boolean,
                FieldKind.TextList => FilterColumnKind.TextArray,
                FieldKind.JsonObject or FieldKind.JsonList => FilterColumnKind.Json,
                _ => FilterColumnKind.Text,
            });
        columns["attrib"] = new(AttribExpression, FilterColumnKind.Json);
        return columns;
    }

    /// <summary>The SQL of a <c>sortBy</c> value (see <see cref="EntitySort"/>); null for no sortBy. Status and types sort by their anatomy position, as AYON.</summary>
    public string? SortExpression(string? sortBy)
    {
        if (string.IsNullOrEmpty(sortBy))
            return null;
        if (sortBy.StartsWith("attrib.", StringComparison.Ordinal))
        {
            var name = sortBy["attrib.".Length..];
            if (!Names.IsAttributeName(name))
                throw BadRequest.Field("sortBy", $"'{name}' is not an attribute name");
            var value = $"({AttribExpression} -> '{name}')";
            return $"CASE jsonb_typeof({value}) WHEN 'number' THEN {EntitySort.Number($"({value})::text::numeric")} ELSE COALESCE({value} #>> '{{}}', '') END";
        }
        return Sorts.GetValueOrDefault(sortBy) ?? EntitySort.Common.GetValueOrDefault(sortBy)
            ?? throw BadRequest.Field("sortBy", $"'{sortBy}' is not a sort of {Plural}: {string.Join(", ", Sorts.Keys.Concat(EntitySort.Common.Keys).Append("attrib.<name>"))}");
    }
}
