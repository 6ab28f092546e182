using Anvil.Server.Data;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>
/// Direct SQL on a project's schema: the only way to put entities in a project until the entity
/// engine exists (HTTP cannot reach them yet), and to prove that a delete leaves nothing behind.
/// </summary>
public static class ProjectRows
{
    /// <summary>Runs statements with the project's schema on the search path, in one transaction.</summary>
    public static async Task InProjectAsync(this AnvilApp app, string project, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ProjectSchema.UseAsync(connection, project, CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    public static async Task<string?> ProjectScalarAsync(this AnvilApp app, string project, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await app.Services.GetRequiredService<Db>().OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ProjectSchema.UseAsync(connection, project, CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    /// <summary>A folder, a task in it, a product, a version and a representation, all with the status and tag given.</summary>
    public static Task InsertHierarchyAsync(this AnvilApp app, string project, string folderType, string taskType, string status, string tag) =>
        app.InProjectAsync(project, """
            INSERT INTO folders (id, name, folder_type, status, tags) VALUES ('00000000-0000-0000-0000-000000000001', 'sh010', @folderType, @status, ARRAY[@tag, 'other']);
            INSERT INTO tasks (id, name, task_type, folder_id, status, tags) VALUES ('00000000-0000-0000-0000-000000000002', 'comp', @taskType, '00000000-0000-0000-0000-000000000001', @status, ARRAY[@tag]);
            INSERT INTO products (id, name, folder_id, product_type, status, tags) VALUES ('00000000-0000-0000-0000-000000000003', 'renderMain', '00000000-0000-0000-0000-000000000001', 'render', @status, ARRAY[@tag]);
            INSERT INTO versions (id, version, product_id, status, tags) VALUES ('00000000-0000-0000-0000-000000000004', 1, '00000000-0000-0000-0000-000000000003', @status, ARRAY[@tag]);
            INSERT INTO representations (id, name, version_id, status, tags) VALUES ('00000000-0000-0000-0000-000000000005', 'exr', '00000000-0000-0000-0000-000000000004', @status, ARRAY[@tag]);
            INSERT INTO workfiles (id, path, task_id, status, tags) VALUES ('00000000-0000-0000-0000-000000000006', 'work/sh010_comp_v001.nk', '00000000-0000-0000-0000-000000000002', @status, ARRAY[@tag]);
            """, ("folderType", folderType), ("taskType", taskType), ("status", status), ("tag", tag));
}
