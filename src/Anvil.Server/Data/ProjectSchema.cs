using Anvil.Server.Hosting;
using Npgsql;

namespace Anvil.Server.Data;

/// <summary>
/// The per-project schema <c>project_&lt;lower-cased name&gt;</c>: the only identifier the server
/// builds from input, and only here, after the project-name check.
/// </summary>
public static class ProjectSchema
{
    /// <summary>PostgreSQL identifiers hold 63 bytes; "project_" takes 8 of them.</summary>
    public const int MaxNameLength = 55;

    static readonly string Template = LoadTemplate();

    /// <summary>True when the name is a project name a schema can carry.</summary>
    public static bool IsValidName(string? name) => Names.IsProjectName(name) && name!.Length <= MaxNameLength;

    /// <summary>The schema of a project; refuses (400, naming <paramref name="field"/>) a name that cannot be one.</summary>
    public static string Of(string projectName, string field = "name")
    {
        if (!IsValidName(projectName))
            throw BadRequest.Field(field, $"a project name is 1 to {MaxNameLength} letters, digits or underscores");
        return "project_" + projectName.ToLowerInvariant();
    }

    /// <summary>Creates the schema and its tables; the caller's transaction makes it all-or-nothing.</summary>
    public static async Task CreateAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken)
    {
        var schema = Of(projectName);
        await ExecuteAsync(connection, $"CREATE SCHEMA {schema}", cancellationToken);
        await UseAsync(connection, projectName, cancellationToken);
        await ExecuteAsync(connection, Template, cancellationToken);
    }

    /// <summary>Points unqualified names at the project's tables until the transaction ends.</summary>
    public static Task UseAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, UseSql(projectName), cancellationToken);

    /// <summary>The statement of <see cref="UseAsync"/>, for sending it in one round trip with others.</summary>
    public static string UseSql(string projectName) => $"SET LOCAL search_path TO {Of(projectName)}, public";

    public static Task DropAsync(NpgsqlConnection connection, string projectName, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, $"DROP SCHEMA IF EXISTS {Of(projectName)} CASCADE", cancellationToken);

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static string LoadTemplate()
    {
        using var stream = typeof(ProjectSchema).Assembly.GetManifestResourceStream("schema/project.sql")
            ?? throw new InvalidOperationException("The embedded project schema template is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
