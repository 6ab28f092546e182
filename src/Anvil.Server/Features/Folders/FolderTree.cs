using Anvil.Server.Entities;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Folders;

/// <summary>
/// The folder data derived from ancestors — <c>path</c> and <c>exported_attrib</c> (what children
/// inherit) — recomputed for one subtree after a folder is created, renamed, moved or has its
/// attributes changed: a folder write touches only the subtree under it, never the project. Only a
/// change of the project's own attributes walks every folder, since every folder inherits them.
/// </summary>
public static class FolderTree
{
    public static Task RefreshSubtreeAsync(WriteContext context, Guid folderId) =>
        RefreshAsync(context.Connection, context.Project, "f.id = @folderId", folderId, context.CancellationToken);

    /// <summary>After the project's attributes changed. The connection's search path must point at the project.</summary>
    public static Task RefreshProjectAsync(NpgsqlConnection connection, ProjectContext project, CancellationToken cancellationToken) =>
        RefreshAsync(connection, project, "f.parent_id IS NULL", null, cancellationToken);

    static Task RefreshAsync(NpgsqlConnection connection, ProjectContext project, string start, Guid? folderId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition($"""
            WITH RECURSIVE tree AS (
                SELECT f.id,
                       CASE WHEN p.id IS NULL THEN f.name ELSE p.path || '/' || f.name END AS path,
                       COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || (f.attrib - @privateAttributes::text[]) AS exported
                FROM folders f
                LEFT JOIN folders p ON p.id = f.parent_id
                WHERE {start}
              UNION ALL
                SELECT c.id, t.path || '/' || c.name, t.exported || (c.attrib - @privateAttributes::text[])
                FROM folders c
                JOIN tree t ON c.parent_id = t.id
            )
            UPDATE folders f
            SET path = tree.path, exported_attrib = tree.exported
            FROM tree
            WHERE f.id = tree.id
            """,
            new
            {
                folderId,
                inheritedByRoots = project.InheritedByRoots.ToJsonString(),
                privateAttributes = project.PrivateAttributes,
            },
            cancellationToken: cancellationToken));
}
