using System.Text.Json;
using Anvil.Server.Data;
using Anvil.Server.Hosting;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Anvil.Server;

/// <summary>
/// The one place where exceptions become HTTP responses. Handlers never catch to translate: they
/// throw <see cref="AyonError"/>s, and request-shape and database errors are mapped here.
/// </summary>
public sealed class AyonErrorHandler(ILogger<AyonErrorHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var error = Translate(exception, context);
        if (error.Status >= 500)
            logger.LogError(exception, "Unhandled error in {Method} {Path} (request {RequestId})", LogText.Sanitize(context.Request.Method), LogText.Sanitize(context.Request.Path.Value), context.TraceIdentifier);

        if (context.Response.HasStarted)
            return true;
        context.Response.Clear();
        foreach (var (name, value) in error.Headers)
            context.Response.Headers[name] = value;
        await ErrorResponse.WriteAsync(context, error);
        return true;
    }

    static AyonError Translate(Exception exception, HttpContext context) => exception switch
    {
        AyonError error => error,
        BadHttpRequestException { InnerException: JsonException json } => FromJson(json),
        JsonException json => FromJson(json),
        BadHttpRequestException bad when bad.StatusCode == 400 => new BadRequest(RequestShapeMessage(bad, context)),
        BadHttpRequestException bad => new AyonError(bad.StatusCode, bad.Message),
        _ when PostgresErrors.TranslateAny(exception) is { } database => database,
        StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException =>
            new ServiceUnavailable("Redis is unavailable; retry shortly", 2),
        Features.Addons.AddonHostUnavailable host => new ServiceUnavailable(host.Message),
        Features.Addons.SettingsInvalid invalid => SettingsError(invalid),
        Features.Addons.AddonCallFailed { ErrorType: "AddonNotInstalled" } missing => new NotFound(missing.Message),
        Features.Addons.AddonCallFailed failed => new AyonError(502, failed.Message),
        OperationCanceledException when context.RequestAborted.IsCancellationRequested => new AyonError(499, "Client closed the request"),
        _ => new AyonError(500, "Internal server error"),
    };

    /// <summary>The addon's model refused settings: AYON's validation error, each field under <c>body</c>.</summary>
    static BadRequest SettingsError(Features.Addons.SettingsInvalid invalid)
    {
        var error = new BadRequest(invalid.Message, "validation-error");
        error.Extra["errors"] = invalid.Errors.Select(issue => issue with { Loc = ["body", .. issue.Loc] }).ToArray();
        return error;
    }

    static BadRequest FromJson(JsonException json)
    {
        var field = JsonPathToField(json.Path);
        return field is null
            ? new BadRequest("Request body is not valid JSON", "validation-error")
            : BadRequest.Field(field, "invalid value for this field", "type_error");
    }

    static string RequestShapeMessage(BadHttpRequestException bad, HttpContext context) =>
        bad.Message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || bad.Message.Contains("from body", StringComparison.Ordinal)
            ? $"Request body is missing in [{context.Request.Method}] {context.Request.Path}"
            : bad.Message;

    /// <summary>"$.data.items[2].name" → "data.items.2.name"; "$" or null → null (the body itself).</summary>
    internal static string? JsonPathToField(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
            return null;
        var field = path.TrimStart('$').TrimStart('.').Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal)
            .Replace("'", "", StringComparison.Ordinal);
        return field.Length == 0 ? null : field;
    }
}

/// <summary>Writes AYON's error body. Also used for status codes produced without an exception (405, 404 routes).</summary>
public static class ErrorResponse
{
    public static Task WriteAsync(HttpContext context, AyonError error)
    {
        var body = new Dictionary<string, object?> { ["code"] = error.Status, ["detail"] = error.Message };
        // AYON returns only code and detail for auth and availability errors.
        if (error.Status is not (401 or 403 or 503))
        {
            if (error.ErrorCode is not null)
                body["errorCode"] = error.ErrorCode;
            foreach (var (key, value) in error.Extra)
                body[key] = value;
            if (error.Status is 400 or 404)
                body.TryAdd("path", context.Request.Path.Value);
        }
        context.Response.StatusCode = error.Status;
        return context.Response.WriteAsJsonAsync(body, AyonJson.Options);
    }
}
