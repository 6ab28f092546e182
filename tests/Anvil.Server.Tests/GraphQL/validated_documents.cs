using Anvil.Server.GraphQL;
using Anvil.Server.Tests.Infrastructure;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// A document's validation runs in full once per schema (<see cref="ValidatedDocuments"/>); what depends
/// on the request — the variables, the arguments made from them, the complexity limit — runs every time.
/// </summary>
public sealed class validated_documents(AnvilApp app) : IClassFixture<AnvilApp>
{
    // Each test's query text is its own (the document cache is keyed by text, and the test classes share the server).
    static string Unique(string query) => $"{query} # {Guid.NewGuid():N}";

    [Fact]
    public async Task a_valid_document_still_refuses_a_missing_or_mistyped_variable_on_a_later_request()
    {
        var query = Unique("query U($name: String!) { user(name: $name) { name } }");
        var api = app.Service();

        Assert.Equal("admin", (await api.QueryAsync(query, new { name = "admin" }))["user"]!["name"]!.GetValue<string>());
        var missing = await api.GraphQLAsync(query, new { });
        var mistyped = await api.GraphQLAsync(query, new { name = new[] { 1, 2 } });
        var again = await api.QueryAsync(query, new { name = "admin" });

        Assert.Contains("$name", missing["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Null(missing["data"]);
        Assert.Contains("$name", mistyped["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Equal("admin", again["user"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_complexity_limit_is_computed_from_each_requests_variables()
    {
        var query = Unique("""
            query C($n: Int, $m: Int) { projects(first: $n) { edges { node {
              folders(first: $m) { edges { node { tasks(first: $m) { edges { node { name } } } } } } } } } }
            """);
        var api = app.Service();

        await api.QueryAsync(query, new { n = 1, m = 1 });
        var tooComplex = await api.GraphQLAsync(query, new { n = 5000, m = 5000 });
        await api.QueryAsync(query, new { n = 1, m = 1 });

        Assert.Contains("too complex", tooComplex["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Equal("COMPLEXITY", tooComplex["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_invalid_document_is_refused_on_every_request()
    {
        var query = Unique("{ me { name noSuchField } }");
        var api = app.Service();

        for (var i = 0; i < 3; i++)
        {
            var result = await api.GraphQLAsync(query);
            Assert.Contains("noSuchField", result["errors"]![0]!["message"]!.GetValue<string>());
            Assert.Null(result["data"]);
        }
    }

    [Fact]
    public async Task a_document_passes_the_document_rules_once_per_schema_and_the_request_rules_every_time()
    {
        var schema = await app.Services.GetRequiredService<AyonSchemaHolder>().GetAsync(CancellationToken.None);
        var counting = new CountingRule();
        IValidationRule[] rules = [.. DocumentValidator.CoreRules, counting];
        var validator = new ValidatedDocuments();
        var document = new GraphQLDocumentBuilder().Build("query U($name: String!) { user(name: $name) { name } }");

        async Task<IValidationResult> ValidateAsync(Inputs variables) => await validator.ValidateAsync(Options(schema, document, rules, variables));

        var first = await ValidateAsync(new Inputs(new Dictionary<string, object?> { ["name"] = "admin" }));
        var second = await ValidateAsync(new Inputs(new Dictionary<string, object?> { ["name"] = "admin" }));
        var missing = await ValidateAsync(Inputs.Empty);

        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal("admin", second.Variables!.ValueFor("name"));
        Assert.False(missing.IsValid);
        Assert.Equal(1, counting.DocumentVisits);
        Assert.Equal(3, counting.VariableVisits);
        Assert.Equal(2, counting.PostVisits); // the request without its variable stops before the post-parse rules
    }

    [Fact]
    public async Task a_request_rule_that_gives_a_visitor_still_visits_and_refuses_on_every_request()
    {
        var schema = await app.Services.GetRequiredService<AyonSchemaHolder>().GetAsync(CancellationToken.None);
        var postVisitor = new RefusingRule(variables: false);
        var variableVisitor = new RefusingRule(variables: true);
        IValidationRule[] rules = [.. DocumentValidator.CoreRules, postVisitor, variableVisitor];
        var validator = new ValidatedDocuments();
        var document = new GraphQLDocumentBuilder().Build("query U($name: String!) { user(name: $name) { name } }");

        async Task<IValidationResult> ValidateAsync(string name) =>
            await validator.ValidateAsync(Options(schema, document, rules, new Inputs(new Dictionary<string, object?> { ["name"] = name })));

        var results = new List<IValidationResult>();
        foreach (var name in new[] { "admin", "admin", "refused-by-visitor", "refused-by-variable", "admin" })
        {
            postVisitor.Refuse = name == "refused-by-visitor";
            variableVisitor.Refuse = name == "refused-by-variable";
            results.Add(await ValidateAsync(name));
        }

        Assert.True(results[0].IsValid);
        Assert.True(results[1].IsValid);
        Assert.Equal("admin", results[1].Variables!.ValueFor("name"));
        Assert.Equal("refused by the visitor: user", Assert.Single(results[2].Errors).Message);
        Assert.Equal("refused-by-visitor", results[2].Variables!.ValueFor("name"));
        Assert.Contains("refused by the variable visitor: name", Assert.Single(results[3].Errors).Message);
        Assert.True(results[4].IsValid);
        Assert.Equal(4, postVisitor.FieldVisits); // every request but the one its variable refused reaches the post-parse walk
    }

    /// <summary>What the executer gives the validator for the document's one operation.</summary>
    static ValidationOptions Options(ISchema schema, GraphQLDocument document, IValidationRule[] rules, Inputs variables) => new()
    {
        Schema = schema,
        Document = document,
        Rules = rules,
        Operation = (GraphQLOperationDefinition)document.Definitions[0],
        UserContext = new Dictionary<string, object?>(),
        Metrics = global::GraphQL.Instrumentation.Metrics.None,
        Variables = variables,
        Extensions = Inputs.Empty,
    };

    /// <summary>Refuses, when told to, from a post-parse visitor of every field or from a variable visitor.</summary>
    sealed class RefusingRule(bool variables) : IValidationRule, IVariableVisitor
    {
        public bool Refuse;
        public int FieldVisits;

        public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => default;

        public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context) => new(variables ? this : null);

        public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => variables
            ? default
            : new(new MatchingNodeVisitor<GraphQLField>((field, validation) =>
            {
                if (field.Name.Value != "user")
                    return;
                Interlocked.Increment(ref FieldVisits);
                if (Refuse)
                    validation.ReportError(new ValidationError($"refused by the visitor: {field.Name.Value}"));
            }));

        public ValueTask VisitScalarAsync(ValidationContext context, GraphQLVariableDefinition variable, VariableName variableName, ScalarGraphType type, object? variableValue, object? parsedValue) =>
            Refuse ? throw new InvalidVariableError(context, variable, variableName, $"refused by the variable visitor: {variableName}") : default;

        public ValueTask VisitListAsync(ValidationContext context, GraphQLVariableDefinition variable, VariableName variableName, ListGraphType type, object? variableValue, IList<object?>? parsedValue) => default;

        public ValueTask VisitObjectAsync(ValidationContext context, GraphQLVariableDefinition variable, VariableName variableName, IInputObjectGraphType type, object? variableValue, object? parsedValue) => default;

        public ValueTask VisitFieldAsync(ValidationContext context, GraphQLVariableDefinition variable, VariableName variableName, IInputObjectGraphType type, FieldType field, object? variableValue, object? parsedValue) => default;
    }

    sealed class CountingRule : IValidationRule
    {
        public int DocumentVisits;
        public int VariableVisits;
        public int PostVisits;

        public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
        {
            Interlocked.Increment(ref DocumentVisits);
            return default;
        }

        public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context)
        {
            Interlocked.Increment(ref VariableVisits);
            return default;
        }

        public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context)
        {
            Interlocked.Increment(ref PostVisits);
            return default;
        }
    }
}
