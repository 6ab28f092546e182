namespace Anvil.Server.Hosting;

/// <summary>
/// An error the client is meant to see. Rendered once, by <see cref="AyonErrorHandler"/>, as AYON's
/// body <c>{"code": status, "detail": message, ...Extra}</c>.
/// </summary>
public class AyonError(int status, string detail, string? errorCode = null) : Exception(detail)
{
    public int Status { get; } = status;

    /// <summary>AYON's slug for the error (e.g. <c>delete-folder-with-children</c>), where it has one.</summary>
    public string? ErrorCode { get; } = errorCode;

    /// <summary>Extra top-level fields of the error body.</summary>
    public Dictionary<string, object?> Extra { get; } = [];

    /// <summary>Response headers that belong to the error (e.g. <c>Retry-After</c>).</summary>
    public Dictionary<string, string> Headers { get; } = [];
}

public sealed class BadRequest(string detail, string? errorCode = null) : AyonError(400, detail, errorCode)
{
    /// <summary>A request-shape problem on one field, in AYON's validation-error shape.</summary>
    public static BadRequest Field(string field, string message, string type = "value_error")
    {
        var error = new BadRequest($"{field}: {message}", "validation-error");
        error.Extra["errors"] = new[] { new ValidationIssue(["body", .. field.Split('.')], message, type) };
        return error;
    }
}

public sealed class Unauthorized(string detail = "Not logged in") : AyonError(401, detail);

public sealed class Forbidden(string detail = "Forbidden") : AyonError(403, detail);

public sealed class NotFound(string detail, string? errorCode = null) : AyonError(404, detail, errorCode)
{
    public static NotFound Entity(string entityType, object id) => new($"{Capitalize(entityType)} {id} not found");

    static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}

public sealed class Conflict(string detail, string? errorCode = null) : AyonError(409, detail, errorCode);

public sealed class UnsupportedMediaType(string detail) : AyonError(415, detail);

public sealed class TooManyRequests : AyonError
{
    public TooManyRequests(string detail, TimeSpan retryAfter) : base(429, detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        Headers["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class ServiceUnavailable : AyonError
{
    /// <summary>503; with <paramref name="retryAfterSeconds"/>, a <c>Retry-After</c> telling the client when to try again.</summary>
    public ServiceUnavailable(string detail, int? retryAfterSeconds = null) : base(503, detail)
    {
        if (retryAfterSeconds is int seconds)
            Headers["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>One item of the <c>errors</c> list of a 400 validation error (AYON/pydantic shape).</summary>
public sealed record ValidationIssue(string[] Loc, string Msg, string Type);
