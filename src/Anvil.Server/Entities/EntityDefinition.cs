namespace Anvil.Server.Entities;

/// <summary>
/// Everything the engine needs to know about one entity type. Each type is one such definition
/// (Features/&lt;Type&gt;s/&lt;Type&gt;Entity.cs); storage, REST, operations and events are generic.
/// </summary>
public sealed class EntityDefinition
{
    /// <summary>AYON's entity type name: <c>folder</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The REST collection and the table: <c>folders</c>.</summary>
    public required string Plural { get; init; }

    /// <summary>
    /// The read query, without WHERE: the row's table is aliased <c>e</c> and every column alias is
    /// the field's API name. <c>@inheritedByRoots</c> is what root folders inherit.
    /// </summary>
    public required string Select { get; init; }

    /// <summary>
    /// The path of the folder the row belongs to (the folder itself for folders), as an expression
    /// over the SELECT's aliases: what access lists are matched against.
    /// </summary>
    public required string FolderPath { get; init; }

    /// <summary>
    /// The assignees of the task the row belongs to (tasks and workfiles), as an expression over the
    /// SELECT's aliases; null for types outside tasks. Hiding sibling tasks hides their rows too.
    /// </summary>
    public string? TaskAssignees { get; init; }

    /// <summary>The FROM clause of <see cref="Select"/>: the row's table and its joins.</summary>
    public string From => Select[(Select.IndexOf("\nFROM ", StringComparison.Ordinal) + 1)..];

    /// <summary>Writable fields beyond the common ones (attrib, data, active, status, tags).</summary>
    public required IReadOnlyList<EntityField> Fields { get; init; }

    /// <summary>The field naming the parent entity (<c>folderId</c>), and its type; null for none.</summary>
    public EntityField? ParentField { get; init; }

    public string? ParentType { get; init; }

    /// <summary>What a 409 on a duplicate says, e.g. "a folder of that name exists under this parent".</summary>
    public required string DuplicateMessage { get; init; }

    public EntityRules Rules { get; init; } = new();

    public string Table => Plural;

    /// <summary>The fields every project entity shares.</summary>
    public static readonly IReadOnlyList<EntityField> CommonFields =
    [
        new("data", "data", FieldKind.JsonObject),
        new("active", "active", FieldKind.Boolean),
        new("status", "status", FieldKind.Text),
        new("tags", "tags", FieldKind.TextList),
    ];

    public IEnumerable<EntityField> AllFields => CommonFields.Concat(Fields);

    public EntityField? Field(string name) => AllFields.FirstOrDefault(f => f.Name == name);
}
