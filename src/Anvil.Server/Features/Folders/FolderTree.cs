using Anvil.Server.Entities;
using Dapper;
using Npgsql;

namespace Anvil.Server.Features.Folders;

/// <summary>
/// The folder data derived from ancestors — <c>path</c> and <c>exported_attrib</c> (what children
/// inherit) — recomputed for the subtrees of folders created, renamed, moved or with changed
/// attributes: a folder write touches only the subtree under it, never the project. Only a
/// change of the project's own attributes walks every folder, since every folder inherits them.
/// Every caller holds the project's <see cref="FolderTreeLock"/> (the pipeline takes it for any batch
/// with a folder in it), so two walks over overlapping subtrees never deadlock.
/// </summary>
public static class FolderTree
{
    /// <summary>After folders were created, renamed, moved or had their attributes changed: their subtrees.</summary>
    public static Task RefreshSubtreesAsync(WriteContext context, Guid[] folderIds) =>
        RefreshAsync(context.Connection, context.Project, "f.id = ANY(@folderIds)", folderIds, context.CancellationToken);

    /// <summary>After the project's attributes changed. The connection's search path must point at the project.</summary>
    public static async Task RefreshProjectAsync(NpgsqlConnection connection, ProjectContext project, CancellationToken cancellationToken)
    {
        await FolderTreeLock.AcquireAsync(connection, project.Name, cancellationToken);
        await RefreshAsync(connection, project, "f.parent_id IS NULL", null, cancellationToken);
    }

    static Task RefreshAsync(NpgsqlConnection connection, ProjectContext project, string start, Guid[]? folderIds, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition($"""
            WITH RECURSIVE tree AS (
                SELECT f.id,
                       CASE WHEN p.id IS NULL THEN f.name ELSE p.path || '/' || f.name END AS path,
                       COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || (f.attrib - @privateAttributes::text[]) AS exported,
                       0 AS depth
                FROM folders f
                LEFT JOIN folders p ON p.id = f.parent_id
                WHERE {start}
              UNION ALL
                SELECT c.id, t.path || '/' || c.name, t.exported || (c.attrib - @privateAttributes::text[]), t.depth + 1
                FROM folders c
                JOIN tree t ON c.parent_id = t.id
            ),
            -- A folder under another one refreshed (e.g. created under a folder created in the same
            -- batch) is reached from both; the walk from the higher one read its parent's new values.
            deepest AS (
                SELECT DISTINCT ON (id) id, path, exported FROM tree ORDER BY id, depth DESC
            )
            UPDATE folders f
            SET path = deepest.path, exported_attrib = deepest.exported
            FROM deepest
            WHERE f.id = deepest.id
            """,
            new
            {
                folderIds,
                inheritedByRoots = project.InheritedByRoots.ToJsonString(),
                privateAttributes = project.PrivateAttributes,
            },
            cancellationToken: cancellationToken));
}
