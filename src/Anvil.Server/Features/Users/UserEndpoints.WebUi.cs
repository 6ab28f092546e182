using System.Net;
using System.Text.Json.Nodes;
using Anvil.Server.Data;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using Dapper;

namespace Anvil.Server.Features.Users;

/// <summary>What the web UI keeps per user: the avatar and the interface preferences.</summary>
public static partial class UserEndpoints
{
    const int MaxAvatarBytes = 2 * 1024 * 1024;

    static readonly string[] AvatarColours = ["#5b8def", "#e0793b", "#3bb273", "#c94f7c", "#8e6bd8", "#d1a23a", "#3aa6b9", "#7a8b99"];

    static void MapWebUiEndpoints(RouteGroupBuilder users)
    {
        users.MapGet("/{name}/avatar", GetAvatarAsync).WithName("get_avatar")
            .WithSummary("The user's picture, or an SVG of their initials when they have none.");
        users.MapPut("/{name}/avatar", SetAvatarAsync).WithName("upload_avatar").AcceptsRawBody()
            .WithSummary("Stores a PNG or JPEG as the user's picture (self or managers).");
        users.MapDelete("/{name}/avatar", DeleteAvatarAsync).WithName("delete_avatar")
            .WithSummary("Removes the user's picture (self or managers).");
        users.MapPatch("/{name}/frontendPreferences", SetFrontendPreferencesAsync).WithName("set_frontend_preferences")
            .WithSummary("Merges the given keys into the user's web UI preferences (`data.frontendPreferences`); a null removes a key (self or managers).");
    }

    static async Task<IResult> GetAvatarAsync(string name, CurrentUser user, UserStore users, Db db, HttpContext http, CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        await using var connection = await db.OpenAsync(cancellationToken);
        var stored = await connection.QuerySingleOrDefaultAsync<(string Mime, byte[] Data)?>(new CommandDefinition(
            "SELECT mime, data FROM user_avatars WHERE user_name = @name", new { name = target.Name }, cancellationToken: cancellationToken));
        http.Response.Headers.CacheControl = "no-cache";
        if (stored is { } image)
            return Results.Bytes(image.Data, image.Mime);
        return Results.Text(InitialsSvg(target), "image/svg+xml");
    }

    static async Task<IResult> SetAvatarAsync(string name, CurrentUser user, UserStore users, Db db, HttpContext http, AuthCache cache,
        CancellationToken cancellationToken)
    {
        var target = await RequireSelfOrManagerAsync(name, user, users, cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxAvatarBytes)
                throw new AyonError(413, $"An avatar may not exceed {MaxAvatarBytes / (1024 * 1024)} MiB");
            buffer.Write(chunk, 0, read);
        }
        var bytes = buffer.ToArray();
        var mime = bytes switch
        {
            [0x89, 0x50, 0x4E, 0x47, ..] => "image/png",
            [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
            _ => throw new UnsupportedMediaType("An avatar must be a PNG or JPEG image"),
        };
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO user_avatars (user_name, mime, data) VALUES (@name, @mime, @bytes)
            ON CONFLICT (user_name) DO UPDATE SET mime = excluded.mime, data = excluded.data, updated_at = now()
            """, new { name = target.Name, mime, bytes }, cancellationToken: cancellationToken));
        return Results.NoContent();
    }

    static async Task<IResult> DeleteAvatarAsync(string name, CurrentUser user, UserStore users, Db db, CancellationToken cancellationToken)
    {
        var target = await RequireSelfOrManagerAsync(name, user, users, cancellationToken);
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM user_avatars WHERE user_name = @name", new { name = target.Name },
            cancellationToken: cancellationToken));
        return Results.NoContent();
    }

    static async Task<IResult> SetFrontendPreferencesAsync(string name, JsonObject body, CurrentUser user, UserStore users, Db db, AuthCache cache,
        CancellationToken cancellationToken)
    {
        var target = await RequireSelfOrManagerAsync(name, user, users, cancellationToken);
        // One statement, so two tabs saving different keys at once keep both.
        var set = new JsonObject();
        var removed = new List<string>();
        foreach (var (key, value) in body)
        {
            if (value is null)
                removed.Add(key);
            else
                set[key] = value.DeepClone();
        }
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users
            SET data = jsonb_set(data, '{frontendPreferences}',
                    ((CASE WHEN jsonb_typeof(data->'frontendPreferences') = 'object' THEN data->'frontendPreferences' ELSE '{}' END) - @removed::text[]) || @set),
                updated_at = now()
            WHERE name = @name
            """, new { name = target.Name, set, removed = removed.ToArray() }, cancellationToken: cancellationToken));
        await cache.UsersChangedAsync();
        return Results.NoContent();
    }

    static async Task<UserRecord> RequireSelfOrManagerAsync(string name, CurrentUser user, UserStore users, CancellationToken cancellationToken)
    {
        var target = await RequireUserAsync(users, name, cancellationToken);
        if (!IsSelf(user, target) && !user.IsManager)
            throw new Forbidden("Only managers may change other users");
        if (!IsSelf(user, target) && (target.IsAdmin || target.IsService) && !user.IsAdmin)
            throw new Forbidden("Only admins may change admins and service users");
        return target;
    }

    /// <summary>A round picture with the user's initials (from the full name, else the login name) on a colour fixed per user.</summary>
    static string InitialsSvg(UserRecord user)
    {
        var fullName = user.Attrib["fullName"] is JsonValue v && v.TryGetValue<string>(out var f) && !string.IsNullOrWhiteSpace(f) ? f : user.Name;
        var words = fullName.Split([' ', '.', '_', '-'], StringSplitOptions.RemoveEmptyEntries);
        var initials = words.Length switch
        {
            0 => "?",
            1 => words[0][..Math.Min(2, words[0].Length)],
            _ => $"{words[0][0]}{words[^1][0]}",
        };
        var colour = AvatarColours[(int)((uint)StableHash(user.Name) % AvatarColours.Length)];
        return $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100"><circle cx="50" cy="50" r="50" fill="{colour}"/><text x="50" y="50" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="40" fill="#ffffff">{WebUtility.HtmlEncode(initials.ToUpperInvariant())}</text></svg>
            """;
    }

    /// <summary>string.GetHashCode differs between processes; every instance must draw the same colour.</summary>
    static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
            hash = unchecked(hash * 31 + c);
        return hash;
    }
}
