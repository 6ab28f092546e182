using System.Text.Json;
using Anvil.Server.Features.Auth;
using Anvil.Server.Hosting;
using GraphQL;
using GraphQL.Execution;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using GraphQL.Validation;
using GraphQL.Validation.Rules.Custom;

namespace Anvil.Server.GraphQL;

/// <summary>
/// <c>POST /graphql</c> (and <c>GET</c> for simple queries): the standard envelope, execution errors
/// in <c>errors</c> with HTTP 200 (the client raises on any non-2xx before reading them).
/// Authentication is the REST one; depth and complexity limits reject a query before it runs.
/// </summary>
public static class GraphQLEndpoint
{
    static readonly GraphQLSerializer Serializer = new(options =>
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        RenderedConnections.ResponseOptions = options; // rendered connections are written with the response's own options
    });

    static readonly QueryDocuments Documents = new();

    /// <summary>
    /// <c>X-Anvil-GraphQL-Path: general</c> answers without rendered connections (see <see cref="RenderedConnections"/>):
    /// the same answer, the slow way; for tests and bug reports that compare the two.
    /// </summary>
    public const string GeneralPathHeader = "X-Anvil-GraphQL-Path";

    /// <summary>The validation rules for the limits last used (the same for every request of a server).</summary>
    static (int MaxDepth, int MaxComplexity, IValidationRule[] Rules)? _validationRules;

    static IValidationRule[] ValidationRules(AyonOptions options)
    {
        if (_validationRules is { } known && known.MaxDepth == options.GraphQLMaxDepth && known.MaxComplexity == options.GraphQLMaxComplexity)
            return known.Rules;
        IValidationRule[] rules = [.. DocumentValidator.CoreRules.Append(new ComplexityValidationRule(new()
        {
            MaxDepth = options.GraphQLMaxDepth,
            MaxComplexity = options.GraphQLMaxComplexity,
        }))];
        _validationRules = (options.GraphQLMaxDepth, options.GraphQLMaxComplexity, rules);
        return rules;
    }

    public static void MapGraphQL(this RouteGroupBuilder root, AyonOptions options)
    {
        root.MapPost("/graphql", PostAsync).WithName("graphql").WithTags("GraphQL")
            .WithSummary("Run a GraphQL query: body {query, variables, operationName}.");
        root.MapGet("/graphql", GetAsync).WithName("graphql_get").WithTags("GraphQL")
            .WithSummary("Run a GraphQL query given as query parameters.");
        var page = root.MapGet("/graphiql", () => Results.Content(GraphiQLPage.Html, "text/html")).ExcludeFromDescription();
        if (!options.OpenApiRequireAuthentication)
            page.AllowAnonymous();
    }

    static async Task PostAsync(HttpContext http, CurrentUser user, AyonSchemaHolder schemas, IDocumentExecuter executer, AyonOptions options)
    {
        GraphQLRequest? request;
        try
        {
            request = await Serializer.ReadAsync<GraphQLRequest>(http.Request.Body, http.RequestAborted);
        }
        catch (JsonException)
        {
            throw new BadRequest("GraphQL request body is not valid JSON");
        }
        await ExecuteAsync(http, user, schemas, executer, options, request);
    }

    static Task GetAsync(HttpContext http, CurrentUser user, AyonSchemaHolder schemas, IDocumentExecuter executer, AyonOptions options,
        string query, string? variables = null, string? operationName = null)
    {
        Inputs? inputs;
        try
        {
            inputs = string.IsNullOrEmpty(variables) ? null : Serializer.Deserialize<Inputs>(variables);
        }
        catch (JsonException)
        {
            throw BadRequest.Field("variables", "not a JSON object");
        }
        return ExecuteAsync(http, user, schemas, executer, options, new GraphQLRequest { Query = query, Variables = inputs, OperationName = operationName });
    }

    static async Task ExecuteAsync(HttpContext http, CurrentUser user, AyonSchemaHolder schemas, IDocumentExecuter executer, AyonOptions options, GraphQLRequest? request)
    {
        if (string.IsNullOrWhiteSpace(request?.Query))
            throw BadRequest.Field("query", "a GraphQL query is required");
        var document = Documents.Get(request.Query, parsed => QueryFieldLimit.Check(parsed, options.GraphQLMaxFields));
        var schema = await schemas.GetAsync(http.RequestAborted);
        await using var scope = new RequestScope(http.RequestServices.GetRequiredService<Data.Db>(),
            http.RequestServices.GetRequiredService<Entities.ProjectContexts>(), user);

        var result = await executer.ExecuteAsync(execution =>
        {
            execution.Schema = schema;
            execution.Query = request.Query;
            execution.Document = document;
            execution.Variables = request.Variables;
            execution.OperationName = request.OperationName;
            execution.RequestServices = http.RequestServices;
            execution.UserContext = new GraphQLUserContext(user, scope)
            {
                RenderConnections = !string.Equals(http.Request.Headers[GeneralPathHeader], "general", StringComparison.OrdinalIgnoreCase),
            };
            execution.User = http.User;
            execution.CancellationToken = http.RequestAborted;
            execution.ValidationRules = ValidationRules(options);
            execution.UnhandledExceptionDelegate = context =>
            {
                // Errors the client is meant to see keep their message and status; anything else is masked.
                if (context.OriginalException is AyonError error)
                {
                    context.Exception = new ExecutionError(error.Message) { Extensions = new Dictionary<string, object?> { ["status"] = error.Status } };
                    context.ErrorMessage = error.Message;
                }
                else if (!(context.OriginalException is OperationCanceledException && http.RequestAborted.IsCancellationRequested))
                {
                    // The client sees only a masked message: the cause goes to the log, found by the request id.
                    http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GraphQLEndpoint))
                        .LogError(context.OriginalException, "Unhandled error in GraphQL field {Field} (request {RequestId})",
                            context.FieldContext is { } field ? string.Join('.', field.Path) : "(request)", http.TraceIdentifier);
                }
                return Task.CompletedTask;
            };
        });

        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json; charset=utf-8";
        await Serializer.WriteAsync(http.Response.Body, result, http.RequestAborted);
    }
}

/// <summary>What resolvers know about the request: who asks.</summary>
public sealed class GraphQLUserContext(CurrentUser user, RequestScope scope) : Dictionary<string, object?>
{
    public CurrentUser User { get; } = user;

    public RequestScope Scope { get; } = scope;

    /// <summary>False to answer every connection through GraphQL.NET's general path.</summary>
    public bool RenderConnections { get; init; } = true;
}

public static class ResolveFieldContextExtensions
{
    public static CurrentUser CurrentUser(this IResolveFieldContext context) => ((GraphQLUserContext)context.UserContext).User;

    public static T Service<T>(this IResolveFieldContext context) where T : notnull => context.RequestServices!.GetRequiredService<T>();
}
