using System.Runtime.CompilerServices;
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
            return validator.ValidateAsync(options with { Rules = passed.PerRequest });
        return ValidateFullyAsync(options, rules);
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
