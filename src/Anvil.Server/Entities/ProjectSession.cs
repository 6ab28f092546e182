using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Access;
using Anvil.Server.Features.Attributes;
using Anvil.Server.Features.Auth;
using Npgsql;

namespace Anvil.Server.Entities;

/// <summary>
/// A connection and transaction pointed at one project's schema, with the project's context and the
/// user's rights on it read: how every project-level request starts. Disposing without
/// <see cref="CommitAsync"/> rolls back.
/// </summary>
public sealed class ProjectSession : IAsyncDisposable
{
    public required NpgsqlConnection Connection { get; init; }
    public required NpgsqlTransaction Transaction { get; init; }
    public required ProjectContext Project { get; init; }
    public required ProjectAccess Access { get; init; }

    /// <summary>
    /// Opens the session for <paramref name="user"/>; 404 when the project does not exist (names
    /// match case-insensitively), 403 when the user holds no access group on it.
    /// </summary>
    public static async Task<ProjectSession> OpenAsync(Db db, AttributeLibrary attributes, string projectName, CurrentUser user, CancellationToken cancellationToken)
    {
        var entered = await EnterAsync(db, projectName, cancellationToken);
        try
        {
            return await entered.OpenAsync(attributes, user, cancellationToken);
        }
        catch
        {
            await entered.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The first half of <see cref="OpenAsync(Db, AttributeLibrary, string, CurrentUser, CancellationToken)"/>:
    /// the connection and transaction pointed at the project, its stored name known (404 when there
    /// is none); nothing about the user read yet.
    /// </summary>
    public static async Task<Entered> EnterAsync(Db db, string projectName, CancellationToken cancellationToken)
    {
        var connection = await db.OpenAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var (name, attrib) = await ProjectContext.EnterAsync(connection, projectName, cancellationToken);
            return new Entered(connection, transaction, name, attrib);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A project entered (see <see cref="EnterAsync"/>), not yet opened for a user.</summary>
    public sealed class Entered(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, JsonObject attrib) : IAsyncDisposable
    {
        /// <summary>The project's stored name.</summary>
        public string Name { get; } = name;

        /// <summary>The user's rights (403 when they have none here), then the project's context: the session.</summary>
        public async Task<ProjectSession> OpenAsync(AttributeLibrary attributes, CurrentUser user, CancellationToken cancellationToken)
        {
            var access = await ProjectAccess.LoadAsync(connection, user, Name, cancellationToken);
            var project = await ProjectContext.LoadAsync(connection, Name, attrib, attributes, cancellationToken);
            return new ProjectSession { Connection = connection, Transaction = transaction, Project = project, Access = access };
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
