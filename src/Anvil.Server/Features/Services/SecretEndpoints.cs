using System.Text.RegularExpressions;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Services;

/// <summary>Body of <c>PUT /api/secrets/{name}</c>.</summary>
public sealed record SecretRequest
{
    /// <summary>The secret's name; when given, it must be the one in the path.</summary>
    public string? Name { get; init; }
    public string? Value { get; init; }
}

/// <summary>
/// <c>/api/secrets</c>: credentials that addon settings name and services read (docs/services.md).
/// Admins (service users included) read and write values; managers list the names; nobody else sees
/// anything. A value appears in no other answer, no log line and no event.
/// </summary>
public static partial class SecretEndpoints
{
    public static void MapSecretEndpoints(this RouteGroupBuilder api)
    {
        var secrets = api.MapGroup("/secrets").WithTags("Secrets");
        secrets.MapGet("", ListAsync).WithName("get_list_of_secrets")
            .WithSummary("Every secret: names and values for admins and services, names only for managers.");
        secrets.MapGet("/{secretName}", GetAsync).WithName("get_secret")
            .WithSummary("One secret with its value (admins and services).");
        secrets.MapPut("/{secretName}", PutAsync).WithName("save_secret")
            .WithSummary("Create or replace a secret (admins).");
        secrets.MapDelete("/{secretName}", DeleteAsync).WithName("delete_secret")
            .WithSummary("Delete a secret (admins).");
    }

    static async Task<IReadOnlyList<SecretResponse>> ListAsync(CurrentUser user, SecretStore store, CancellationToken cancellationToken)
    {
        if (user.IsAdmin)
            return await store.ListAsync(cancellationToken);
        if (user.IsManager)
            return [.. (await store.NamesAsync(cancellationToken)).Select(name => new SecretResponse(name))];
        throw new Forbidden("Only managers may list secrets");
    }

    static async Task<SecretResponse> GetAsync(string secretName, CurrentUser user, SecretStore store, CancellationToken cancellationToken)
    {
        CheckName(secretName);
        if (!user.IsAdmin)
            throw new Forbidden("Only admins and services may read secrets");
        var value = await store.GetAsync(secretName, cancellationToken) ?? throw new NotFound($"Secret {secretName} not found");
        return new SecretResponse(secretName, value);
    }

    static async Task<IResult> PutAsync(string secretName, SecretRequest request, CurrentUser user, SecretStore store, CancellationToken cancellationToken)
    {
        CheckName(secretName);
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may change secrets");
        if (request.Name is not null && request.Name != secretName)
            throw BadRequest.Field("name", "must be the secret name of the path");
        if (request.Value is null)
            throw BadRequest.Field("value", "a secret needs a value (a string)", "missing");
        await store.PutAsync(secretName, request.Value, cancellationToken);
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAsync(string secretName, CurrentUser user, SecretStore store, CancellationToken cancellationToken)
    {
        CheckName(secretName);
        if (!user.IsAdmin)
            throw new Forbidden("Only admins may delete secrets");
        if (!await store.DeleteAsync(secretName, cancellationToken))
            throw new NotFound($"Secret {secretName} not found");
        return Results.NoContent();
    }

    static void CheckName(string name)
    {
        if (name.Length > 128 || !SecretName().IsMatch(name))
            throw ServiceEndpoints.PathParameter("secretName", "a secret name is letters, digits, '_', '.' and '-', at most 128 characters");
    }

    [GeneratedRegex(Names.Entity)]
    private static partial Regex SecretName();
}
