namespace Anvil.Server.Entities;

/// <summary>
/// One column an entity row is read with: its API name (the alias) and its SQL expression over the
/// definition's FROM clause (the row's table is <c>e</c>).
/// </summary>
public sealed record EntityColumn(string Alias, string Sql)
{
    /// <summary>The item of a SELECT list: <c>e.name</c>, or <c>expression AS "alias"</c>.</summary>
    public string SelectItem => Sql == "e." + Alias ? Sql : $"{Sql} AS \"{Alias}\"";
}

/// <summary>How a GraphQL node field reads its value from the row.</summary>
public enum NodeFieldKind
{
    Text,
    Integer,
    Boolean,
    TextList,
}

/// <summary>A plain node field read from the row under <paramref name="Key"/> (defaults to the field name).</summary>
public sealed record NodeField(string Name, NodeFieldKind Kind, string? Key = null)
{
    /// <summary>Never null (a NOT NULL column): typed non-null, as AYON types it. Queries merging it with a non-null field of another node type need this.</summary>
    public bool Required { get; init; }
}

/// <summary>A node field naming the entity another field points to: <c>folder</c> by <c>folderId</c>.</summary>
public sealed record ParentLink(string Field, string Type, string IdField);

/// <summary>A connection of a node to the entities under it: <c>tasks</c> of a folder, whose <c>e.folder_id</c> is the node's id.</summary>
public sealed record ChildLink(string Field, string Type, string ParentColumn);
