using System.Runtime.CompilerServices;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Anvil.Server.GraphQL;

/// <summary>
/// GraphQL.NET's validation, run in full once per document and schema. A rule's document visitor
/// (<see cref="IValidationRule.GetPreNodeVisitorAsync"/>) reads only the document and the schema, so
/// once a document (the same instance: <see cref="QueryDocuments"/> hands out one per query text)
/// passed them against a schema with a set of rules, later requests run only what depends on the
/// request: the variables' values, the arguments parsed from them, and the rules' variable and
/// post-parse visitors (the depth and complexity limit, whose multipliers are the <c>first</c>/<c>last</c>
/// the variables give). A document that failed is not remembered: it is validated in full each time.
/// A new schema (after an attribute change) is a new instance, so its documents are validated again.
/// </summary>
public sealed class ValidatedDocuments(IDocumentValidator validator) : IDocumentValidator
{
    public ValidatedDocuments() : this(new DocumentValidator())
    {
    }

    /// <summary>What a document passed: the schema and the rules (the same instances).</summary>
    sealed record Passed(ISchema Schema, IEnumerable<IValidationRule> Rules, IValidationRule[] PerRequest);

    readonly ConditionalWeakTable<GraphQLDocument, Passed> _passed = [];

    public Task<IValidationResult> ValidateAsync(in ValidationOptions options)
    {
        var rules = options.Rules ?? DocumentValidator.CoreRules;
        if (_passed.TryGetValue(options.Document, out var passed) && ReferenceEquals(passed.Schema, options.Schema) && ReferenceEquals(passed.Rules, rules))
            return ValidateRequestAsync(options, passed.PerRequest);
        return ValidateFullyAsync(options, rules);
    }

    /// <summary>
    /// A passed document's request part. Given rules, GraphQL.NET's validator walks the document once with their
    /// document visitors — none here, so that walk only tracks types — and once more if a post-parse rule gives a
    /// visitor. So it is given none: it parses the variables and arguments, then the rules' post-parse part runs
    /// here on a context of the request (the complexity limit analyses the operation inside its rule), and the
    /// walk runs only for rules that give a visitor. A rule with a variable visitor takes the validator's own path.
    /// </summary>
    async Task<IValidationResult> ValidateRequestAsync(ValidationOptions options, IValidationRule[] rules)
    {
        var context = new ValidationContext
        {
            TypeInfo = new TypeInfo(options.Schema),
            Schema = options.Schema,
            Document = options.Document,
            UserContext = options.UserContext,
            Variables = options.Variables,
            Extensions = options.Extensions,
            Operation = options.Operation,
            Metrics = options.Metrics,
            RequestServices = options.RequestServices,
            User = options.User,
            CancellationToken = options.CancellationToken,
        };
        foreach (var rule in rules)
        {
            if (await rule.GetVariableVisitorAsync(context) is not null)
                return await validator.ValidateAsync(options with { Rules = rules });
        }
        var parsed = await validator.ValidateAsync(options with { Rules = [] });
        if (!parsed.IsValid)
            return parsed;
        // The validator's own dictionaries (it hands them over with the result); copied only if they were not.
        context.ArgumentValues = parsed.ArgumentValues as Dictionary<GraphQLField, IDictionary<string, ArgumentValue>> ?? parsed.ArgumentValues?.ToDictionary();
        context.DirectiveValues = parsed.DirectiveValues as Dictionary<ASTNode, IDictionary<string, DirectiveInfo>> ?? parsed.DirectiveValues?.ToDictionary();
        List<INodeVisitor>? visitors = null;
        foreach (var rule in rules)
        {
            if (await rule.GetPostNodeVisitorAsync(context) is { } visitor)
                (visitors ??= [context.TypeInfo]).Add(visitor);
        }
        if (visitors is not null)
            await new BasicVisitor(visitors).VisitAsync(options.Document, new BasicVisitor.State(context));
        return context.HasErrors
            ? new ValidationResult(context.Errors) { Variables = parsed.Variables, ArgumentValues = parsed.ArgumentValues, DirectiveValues = parsed.DirectiveValues }
            : parsed;
    }

    async Task<IValidationResult> ValidateFullyAsync(ValidationOptions options, IEnumerable<IValidationRule> rules)
    {
        var result = await validator.ValidateAsync(options with { Rules = rules });
        if (result.IsValid)
            _passed.AddOrUpdate(options.Document, new Passed(options.Schema, rules, [.. rules.Select(r => new PerRequestPart(r))]));
        return result;
    }

    /// <summary>A rule without its document visitor: what of it depends on the request.</summary>
    sealed class PerRequestPart(IValidationRule rule) : IValidationRule
    {
        public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => default;

        public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context) => rule.GetVariableVisitorAsync(context);

        public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => rule.GetPostNodeVisitorAsync(context);
    }
}
