using Anvil.Server.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Infrastructure;

/// <summary>
/// Projects for entity tests. TEMPORARY: writes the project directly until the projects API is
/// merged, then becomes a POST /api/projects.
/// </summary>
public static class TestProjects
{
    public static async Task<string> CreateAsync(AnvilApp app)
    {
        var name = Unique.Name("proj");
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("INSERT INTO projects (name, code, attrib) VALUES (@name, @name, '{\"fps\": 25, \"frameStart\": 1001, \"frameEnd\": 1100}')", new { name });
        await ProjectSchema.CreateAsync(connection, name, CancellationToken.None);
        await connection.ExecuteAsync("""
            INSERT INTO folder_types (name, position) VALUES ('Folder', 0), ('Asset', 1), ('Sequence', 2), ('Shot', 3);
            INSERT INTO task_types (name, position) VALUES ('Generic', 0), ('Animation', 1), ('Compositing', 2);
            INSERT INTO statuses (name, position, data) VALUES
                ('Not ready', 0, '{"scope": ["folder", "product", "task"]}'),
                ('In progress', 1, '{"scope": ["folder", "task"]}'),
                ('Pending review', 2, '{"scope": ["folder", "version", "task"]}'),
                ('Approved', 3, '{"scope": ["folder", "product", "version", "task"]}');
            """);
        await transaction.CommitAsync();
        return name;
    }
}
