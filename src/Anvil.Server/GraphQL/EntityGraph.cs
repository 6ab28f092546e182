using Anvil.Server.Entities;
using Anvil.Server.Features.Folders;
using Anvil.Server.Features.Products;
using Anvil.Server.Features.Representations;
using Anvil.Server.Features.Tasks;
using Anvil.Server.Features.Versions;
using Anvil.Server.Features.Workfiles;
using Dapper;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>How a node field reads its value from the row.</summary>
public enum NodeFieldKind
{
    Text,
    Integer,
    Boolean,
    TextList,
}

/// <summary>One item of a SELECT list: its alias (the API name) and its SQL text, <c>expression AS alias</c> as written.</summary>
public sealed record SelectColumn(string Alias, string Sql)
{
    /// <summary>
    /// Splits a SELECT list (a whole <c>SELECT ... FROM</c> query, or one item) at its top-level commas:
    /// items are <c>e.column</c> (alias <c>column</c>), <c>expression AS alias</c> or <c>expression AS "alias"</c>.
    /// </summary>
    public static IEnumerable<SelectColumn> Parse(string sql)
    {
        var text = sql.Trim();
        if (text.StartsWith("SELECT ", StringComparison.Ordinal))
            text = text["SELECT ".Length..];
        var from = text.IndexOf("\nFROM ", StringComparison.Ordinal);
        if (from >= 0)
            text = text[..from];
        var items = new List<string>();
        var (depth, start, quoted) = (0, 0, false);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\'')
                quoted = !quoted;
            else if (quoted)
                continue;
            else if (c == '(')
                depth++;
            else if (c == ')')
                depth--;
            else if (c == ',' && depth == 0)
            {
                items.Add(text[start..i]);
                start = i + 1;
            }
        }
        items.Add(text[start..]);
        foreach (var item in items.Select(i => i.Trim()))
        {
            var match = System.Text.RegularExpressions.Regex.Match(item, "\\sAS\\s+(\"(?<alias>[^\"]+)\"|(?<alias>[a-z_]+))$", System.Text.RegularExpressions.RegexOptions.Singleline);
            var alias = match.Success ? match.Groups["alias"].Value
                : System.Text.RegularExpressions.Regex.Match(item, "^[a-z]+\\.(?<column>[a-z_]+)$") is { Success: true } column ? column.Groups["column"].Value
                : throw new InvalidOperationException($"Cannot tell the alias of SELECT item: {item}");
            yield return new SelectColumn(alias, item);
        }
    }
}

/// <summary>A plain node field read from the row under <paramref name="Key"/> (defaults to the field name).</summary>
public sealed record NodeField(string Name, NodeFieldKind Kind, string? Key = null);

/// <summary>
/// A filter argument of a connection: its GraphQL type and the SQL condition it adds (null = no
/// condition), its values bound as parameters.
/// </summary>
public sealed record EntityFilter(string Argument, Type GraphType, Func<object, string, DynamicParameters, string?> Condition);

/// <summary>
/// An entity type as GraphQL shows it: its definition (whose SELECT the queries reuse), the node's
/// fields, the GraphQL-only columns and the filters its connections take. One entry per type.
/// </summary>
public sealed class EntityGraph
{
    public required EntityDefinition Definition { get; init; }
    public required string NodeName { get; init; }
    public required IReadOnlyList<NodeField> Fields { get; init; }
    public required IReadOnlyList<EntityFilter> Filters { get; init; }

    /// <summary>Columns only GraphQL shows, as <c>expression AS "name"</c> over the definition's aliases.</summary>
    public IReadOnlyList<string> ExtraColumns { get; init; } = [];

    /// <summary>The effective attributes of the row as a jsonb expression (for <c>filter</c> on <c>attrib/x</c>).</summary>
    public string AttribExpression { get; init; } = "e.attrib";

    public string Type => Definition.Type;

    IReadOnlyList<SelectColumn>? _columns;

    /// <summary>
    /// Every column a node can read: the definition's SELECT list and <see cref="ExtraColumns"/>, each
    /// under its alias, so a query can select only those its fields need (see <see cref="SelectList"/>).
    /// </summary>
    public IReadOnlyList<SelectColumn> Columns => _columns ??= [.. SelectColumn.Parse(Definition.Select), .. ExtraColumns.SelectMany(SelectColumn.Parse)];

    /// <summary>
    /// The SELECT list (without the keyword) of the named columns, in <see cref="Columns"/> order; all of
    /// them for null. <c>id</c> is always read (loaders and nested connections key on it).
    /// </summary>
    public string SelectList(IReadOnlySet<string>? aliases) =>
        string.Join(", ", Columns.Where(c => aliases is null || c.Alias == "id" || aliases.Contains(c.Alias)).Select(c => c.Sql));

    /// <summary>The <c>sortBy</c> names this type knows beyond the common ones, each a text expression (see <see cref="SortExpression"/>).</summary>
    public IReadOnlyDictionary<string, string> Sorts { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The SQL of a <c>sortBy</c> value, as text whose order is the wanted order (positions and
    /// numbers padded, times in UTC digits, nulls as empty), so cursors compare it like any text;
    /// null for no sortBy. Status and types sort by their anatomy position, as AYON.
    /// </summary>
    public string? SortExpression(string? sortBy)
    {
        if (string.IsNullOrEmpty(sortBy))
            return null;
        if (sortBy.StartsWith("attrib.", StringComparison.Ordinal))
        {
            var name = sortBy["attrib.".Length..];
            if (!Hosting.Names.IsAttributeName(name))
                throw Hosting.BadRequest.Field("sortBy", $"'{name}' is not an attribute name");
            var value = $"({AttribExpression} -> '{name}')";
            return $"CASE jsonb_typeof({value}) WHEN 'number' THEN {SortableNumber($"({value})::text::numeric")} ELSE COALESCE({value} #>> '{{}}', '') END";
        }
        var common = new Dictionary<string, string>
        {
            ["createdAt"] = SortableTime("e.created_at"),
            ["updatedAt"] = SortableTime("e.updated_at"),
            ["createdBy"] = "COALESCE(e.created_by, '')",
            ["updatedBy"] = "COALESCE(e.updated_by, '')",
            ["status"] = Position("statuses", "e.status"),
        };
        return Sorts.GetValueOrDefault(sortBy) ?? common.GetValueOrDefault(sortBy)
            ?? throw Hosting.BadRequest.Field("sortBy", $"'{sortBy}' is not a sort of {Definition.Plural}: {string.Join(", ", Sorts.Keys.Concat(common.Keys).Append("attrib.<name>"))}");
    }

    static string SortableTime(string column) => $"to_char({column} AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')";

    /// <summary>Numbers above -10^12 as fixed-width text, so text order is numeric order.</summary>
    static string SortableNumber(string expression) => $"to_char({expression} + 1000000000000, 'FM00000000000000000.000000')";

    static string Position(string table, string column) =>
        $"lpad(COALESCE((SELECT x.position FROM {table} x WHERE x.name = {column}), 0)::text, 10, '0')";

    /// <summary>The SQL conditions of the filter arguments given to a connection field.</summary>
    public (List<string> Conditions, DynamicParameters Parameters) Conditions(IResolveFieldContext context)
    {
        var conditions = new List<string>();
        var parameters = new DynamicParameters();
        foreach (var filter in Filters)
        {
            if (context.Arguments is null || !context.Arguments.TryGetValue(filter.Argument, out var argument) || argument.Value is not { } value)
                continue;
            if (filter.Condition(value, "f_" + filter.Argument, parameters) is { } condition)
                conditions.Add(condition);
        }
        return (conditions, parameters);
    }

    public const string IsLatestCondition = "e.version >= 0 AND e.version = (SELECT max(l.version) FROM versions l WHERE l.product_id = e.product_id AND l.version >= 0)";

    public static EntityGraph Folder { get; } = new()
    {
        Sorts = new Dictionary<string, string> { ["name"] = "e.name", ["path"] = "e.path", ["folderType"] = Position("folder_types", "e.folder_type") },
        Definition = FolderEntity.Definition,
        NodeName = "FolderNode",
        AttribExpression = "(COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || e.attrib)",
        ExtraColumns =
        [
            """(SELECT count(*) FROM folders c WHERE c.parent_id = e.id)::int AS "childCount" """,
            """(SELECT count(*) FROM tasks t WHERE t.folder_id = e.id)::int AS "taskCount" """,
            """(SELECT count(*) FROM products pr WHERE pr.folder_id = e.id)::int AS "productCount" """,
        ],
        Fields =
        [
            new("label", NodeFieldKind.Text), new("folderType", NodeFieldKind.Text), new("type", NodeFieldKind.Text, "folderType"),
            new("parentId", NodeFieldKind.Text), new("thumbnailId", NodeFieldKind.Text),
            new("hasChildren", NodeFieldKind.Boolean), new("hasTasks", NodeFieldKind.Boolean), new("hasProducts", NodeFieldKind.Boolean),
            new("hasVersions", NodeFieldKind.Boolean), new("childCount", NodeFieldKind.Integer), new("taskCount", NodeFieldKind.Integer),
            new("productCount", NodeFieldKind.Integer),
        ],
        Filters =
        [
            .. Common(),
            AdvancedFilter("folder"),
            Search("e.name", "e.label", "e.path"),
            TextList("names", "e.name"),
            new("name", typeof(StringGraphType), (v, p, ps) => Bind(ps, p, v.ToString()!, "e.name ILIKE @{0}")),
            TextList("folderTypes", "e.folder_type"),
            new("parentId", typeof(StringGraphType), (v, p, ps) => ParentIds(new[] { v }, p, ps)),
            new("parentIds", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) => ParentIds(v, p, ps)),
            new("paths", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) =>
                Bind(ps, p, Strings(v).Select(s => s.Trim('/')).ToArray(), "e.path = ANY(@{0})")),
            Pattern("pathEx", "('/' || e.path)"),
            Flag("hasChildren", "EXISTS (SELECT FROM folders c WHERE c.parent_id = e.id)"),
            Flag("hasTasks", "EXISTS (SELECT FROM tasks t WHERE t.folder_id = e.id)"),
            Flag("hasProducts", "EXISTS (SELECT FROM products pr WHERE pr.folder_id = e.id)"),
            new("assignees", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) =>
                Bind(ps, p, Strings(v).ToArray(), "EXISTS (SELECT FROM tasks t WHERE t.folder_id = e.id AND t.assignees @> @{0})")),
        ],
    };

    public static EntityGraph Task { get; } = new()
    {
        Sorts = new Dictionary<string, string> { ["name"] = "e.name", ["taskType"] = Position("task_types", "e.task_type"), ["assignees"] = "array_to_string(e.assignees, ',')" },
        Definition = TaskEntity.Definition,
        NodeName = "TaskNode",
        AttribExpression = "(f.exported_attrib || e.attrib)",
        Fields =
        [
            new("label", NodeFieldKind.Text), new("taskType", NodeFieldKind.Text), new("type", NodeFieldKind.Text, "taskType"),
            new("folderId", NodeFieldKind.Text), new("thumbnailId", NodeFieldKind.Text), new("assignees", NodeFieldKind.TextList),
        ],
        Filters =
        [
            .. Common(),
            AdvancedFilter("task"),
            Search("e.name", "e.label", "f.path"),
            TextList("names", "e.name"),
            TextList("taskTypes", "e.task_type"),
            IdList("folderIds", "e.folder_id"),
            new("assignees", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) => Strings(v).Count == 0
                ? "cardinality(e.assignees) = 0"
                : Bind(ps, p, Strings(v).ToArray(), "e.assignees @> @{0}")),
            new("assigneesAny", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) => Bind(ps, p, Strings(v).ToArray(), "e.assignees && @{0}")),
            new("tagsAny", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) => Bind(ps, p, Strings(v).ToArray(), "e.tags && @{0}")),
        ],
    };

    public static EntityGraph Product { get; } = new()
    {
        Sorts = new Dictionary<string, string> { ["name"] = "e.name", ["productType"] = "e.product_type", ["productBaseType"] = "COALESCE(e.product_base_type, '')", ["folderName"] = "f.name", ["path"] = "f.path || '/' || e.name" },
        Definition = ProductEntity.Definition,
        ExtraColumns =
        [
            """
            (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                        'id', replace(v.id::text, '-', ''), 'version', v.version,
                        'name', CASE WHEN v.version < 0 THEN 'HERO' ELSE 'v' || lpad(v.version::text, 3, '0') END) ORDER BY v.version), '[]')
             FROM versions v WHERE v.product_id = e.id) AS "versionList"
            """,
        ],
        NodeName = "ProductNode",
        Fields =
        [
            new("folderId", NodeFieldKind.Text), new("productType", NodeFieldKind.Text), new("productBaseType", NodeFieldKind.Text),
            new("type", NodeFieldKind.Text, "productType"),
        ],
        Filters =
        [
            .. Common(),
            AdvancedFilter("product"),
            Search("e.name", "f.path"),
            TextList("names", "e.name"),
            new("namesCi", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) =>
                Bind(ps, p, Strings(v).Select(s => s.ToLowerInvariant()).ToArray(), "lower(e.name) = ANY(@{0})")),
            IdList("folderIds", "e.folder_id"),
            TextList("productTypes", "e.product_type"),
            TextList("productBaseTypes", "e.product_base_type"),
            Pattern("nameEx", "e.name"),
            Pattern("pathEx", "('/' || f.path || '/' || e.name)"),
        ],
    };

    public static EntityGraph Version { get; } = new()
    {
        Sorts = new Dictionary<string, string> { ["version"] = SortableNumber("e.version"), ["author"] = "COALESCE(e.author, '')", ["productName"] = "p.name", ["folderName"] = "f.name" },
        Definition = VersionEntity.Definition,
        NodeName = "VersionNode",
        ExtraColumns =
        [
            """(SELECT h.id FROM versions h WHERE h.product_id = e.product_id AND h.version < 0 ORDER BY h.creation_order LIMIT 1) AS "heroVersionId" """,
            $"""({IsLatestCondition}) AS "isLatest" """,
        ],
        Fields =
        [
            new("version", NodeFieldKind.Integer), new("productId", NodeFieldKind.Text), new("taskId", NodeFieldKind.Text),
            new("thumbnailId", NodeFieldKind.Text), new("author", NodeFieldKind.Text), new("heroVersionId", NodeFieldKind.Text),
            new("isLatest", NodeFieldKind.Boolean),
        ],
        Filters =
        [
            .. Common(),
            AdvancedFilter("version"),
            Search("p.name", "f.path", "e.author"),
            IdList("productIds", "e.product_id"),
            IdList("taskIds", "e.task_id"),
            IdList("folderIds", "p.folder_id"),
            TextList("authors", "e.author"),
            new("version", typeof(IntGraphType), (v, p, ps) => Bind(ps, p, Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture), "e.version = @{0}")),
            new("versions", typeof(ListGraphType<NonNullGraphType<IntGraphType>>), (v, p, ps) =>
                Bind(ps, p, ((IEnumerable<object?>)v).OfType<object>().Select(x => Convert.ToInt32(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray(), "e.version = ANY(@{0})")),
            OnlyWhenTrue("heroOnly", "e.version < 0"),
            OnlyWhenTrue("latestOnly", IsLatestCondition),
            OnlyWhenTrue("heroOrLatestOnly",
                $"(e.version < 0 OR ({IsLatestCondition} AND NOT EXISTS (SELECT FROM versions h WHERE h.product_id = e.product_id AND h.version < 0)))"),
        ],
    };

    public static EntityGraph Representation { get; } = new()
    {
        Sorts = new Dictionary<string, string> { ["name"] = "e.name" },
        Definition = RepresentationEntity.Definition,
        NodeName = "RepresentationNode",
        Fields = [new("versionId", NodeFieldKind.Text)],
        Filters =
        [
            .. Common(),
            AdvancedFilter("representation"),
            Search("e.name", "p.name"),
            TextList("names", "e.name"),
            IdList("versionIds", "e.version_id"),
        ],
    };

    public static EntityGraph Workfile { get; } = new()
    {
        Sorts = new Dictionary<string, string> { ["name"] = "regexp_replace(e.path, '^.*[\\\\/]', '')", ["path"] = "e.path" },
        Definition = WorkfileEntity.Definition,
        NodeName = "WorkfileNode",
        Fields = [new("taskId", NodeFieldKind.Text), new("thumbnailId", NodeFieldKind.Text)],
        Filters =
        [
            .. Common(),
            AdvancedFilter("workfile"),
            Search("e.path"),
            TextList("names", "regexp_replace(e.path, '^.*[\\\\/]', '')"),
            IdList("taskIds", "e.task_id"),
            TextList("paths", "e.path"),
            Pattern("pathEx", "e.path"),
        ],
    };

    public static IReadOnlyList<EntityGraph> All { get; } = [Folder, Task, Product, Version, Representation, Workfile];

    // ---- filter builders ------------------------------------------------------------------------------

    static IEnumerable<EntityFilter> Common() =>
    [
        IdList("ids", "e.id"),
        TextList("statuses", "e.status"),
        new("tags", typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) => Bind(ps, p, Strings(v).ToArray(), "e.tags @> @{0}")),
        new("hasLinks", typeof(HasLinksFilterType), (v, _, _) => HasLinks(v.ToString()!)),
    ];

    /// <summary>Needs the graph itself (its columns), so it is added by each type after <see cref="Common"/>.</summary>
    static EntityFilter AdvancedFilter(string type) =>
        new("filter", typeof(StringGraphType), (v, p, ps) => QueryFilter.Condition(All.Single(g => g.Type == type), v.ToString()!, p, ps));

    static string? HasLinks(string value)
    {
        const string input = "EXISTS (SELECT FROM links l WHERE l.output_id = e.id)";
        const string output = "EXISTS (SELECT FROM links l WHERE l.input_id = e.id)";
        return value switch
        {
            "IN" => input,
            "OUT" => output,
            "ANY" => $"({input} OR {output})",
            "BOTH" => $"({input} AND {output})",
            "NONE" => $"NOT ({input} OR {output})",
            _ => null,
        };
    }

    static EntityFilter TextList(string argument, string column) =>
        new(argument, typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) => Bind(ps, p, Strings(v).ToArray(), $"{column} = ANY(@{{0}})"));

    /// <summary>Ids that are not ids match nothing; an empty list matches nothing.</summary>
    static EntityFilter IdList(string argument, string column) =>
        new(argument, typeof(ListGraphType<NonNullGraphType<StringGraphType>>), (v, p, ps) =>
            Bind(ps, p, Strings(v).Select(s => Guid.TryParse(s, out var id) ? id : (Guid?)null).OfType<Guid>().ToArray(), $"{column} = ANY(@{{0}})"));

    /// <summary>
    /// AYON's search: groups separated by commas are alternatives, the words of a group must all
    /// appear (case-insensitive) in one of the columns.
    /// </summary>
    static EntityFilter Search(params string[] columns) =>
        new("search", typeof(StringGraphType), (v, p, ps) =>
        {
            var groups = v.ToString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(g => g.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(g => g.Length > 0).ToList();
            if (groups.Count == 0)
                return null;
            var alternatives = new List<string>();
            for (var g = 0; g < groups.Count; g++)
            {
                var words = new List<string>();
                for (var w = 0; w < groups[g].Length; w++)
                {
                    var name = $"{p}_{g}_{w}";
                    ps.Add(name, "%" + groups[g][w].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%");
                    words.Add("(" + string.Join(" OR ", columns.Select(c => $"{c} ILIKE @{name}")) + ")");
                }
                alternatives.Add("(" + string.Join(" AND ", words) + ")");
            }
            return "(" + string.Join(" OR ", alternatives) + ")";
        });

    static EntityFilter Flag(string argument, string condition) =>
        new(argument, typeof(BooleanGraphType), (v, _, _) => (bool)v ? condition : $"NOT {condition}");

    static EntityFilter OnlyWhenTrue(string argument, string condition) =>
        new(argument, typeof(BooleanGraphType), (v, _, _) => (bool)v ? $"({condition})" : null);

    static EntityFilter Pattern(string argument, string expression) =>
        new(argument, typeof(StringGraphType), (v, p, ps) => Bind(ps, p, EntityQueries.Regex(argument, v.ToString()!), $"{expression} ~ @{{0}}"));

    static string ParentIds(object value, string parameter, DynamicParameters parameters)
    {
        var values = Strings(value);
        var ids = values.Select(s => Guid.TryParse(s, out var id) ? id : (Guid?)null).OfType<Guid>().ToArray();
        var root = values.Any(s => s == "root") ? " OR e.parent_id IS NULL" : "";
        return Bind(parameters, parameter, ids, $"(e.parent_id = ANY(@{{0}}){root})");
    }

    static string Bind(DynamicParameters parameters, string name, object value, string condition)
    {
        parameters.Add(name, value);
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, condition, name);
    }

    static List<string> Strings(object value) => value switch
    {
        string text => [text],
        IEnumerable<object?> items => [.. items.OfType<object>().Select(i => i.ToString()!)],
        _ => [],
    };
}
