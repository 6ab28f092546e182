using Anvil.Server.Entities;
using Dapper;

namespace Anvil.Server.Features.Folders;

/// <summary>
/// The folder data derived from ancestors — <c>path</c> and <c>exported_attrib</c> (what children
/// inherit) — recomputed for one subtree after a folder is created, renamed, moved or has its
/// attributes changed. A write touches only the subtree under the changed folder, never the project.
/// </summary>
public static class FolderTree
{
    public static Task RefreshSubtreeAsync(WriteContext context, Guid folderId) =>
        context.Connection.ExecuteAsync(new CommandDefinition("""
            WITH RECURSIVE tree AS (
                SELECT f.id,
                       CASE WHEN p.id IS NULL THEN f.name ELSE p.path || '/' || f.name END AS path,
                       COALESCE(p.exported_attrib, @inheritedByRoots::jsonb) || (f.attrib - @privateAttributes::text[]) AS exported
                FROM folders f
                LEFT JOIN folders p ON p.id = f.parent_id
                WHERE f.id = @folderId
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
                inheritedByRoots = context.Project.InheritedByRoots.ToJsonString(),
                privateAttributes = context.Project.PrivateAttributes,
            },
            cancellationToken: context.CancellationToken));
}
