using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;

namespace Anvil.Server.Hosting;

/// <summary>
/// Runs the data annotations of request records before the handler, so a bad field answers 400 in
/// AYON's validation shape, naming the field (camelCase, as the client sent it).
/// </summary>
public static class ValidationFilter
{
    public static EndpointFilterDelegate Create(EndpointFilterFactoryContext factory, EndpointFilterDelegate next)
    {
        var validated = factory.MethodInfo.GetParameters()
            .Select((parameter, index) => (parameter, index))
            .Where(p => HasAnnotations(p.parameter.ParameterType))
            .Select(p => p.index)
            .ToArray();
        if (validated.Length == 0)
            return next;
        return context =>
        {
            foreach (var index in validated)
                if (context.Arguments[index] is { } argument)
                    Validate(argument);
            return next(context);
        };
    }

    /// <summary>Throws a 400 naming the first bad field, as <c>{prefix}{field}</c> (e.g. <c>operations.2.type</c>).</summary>
    public static void Validate(object model, string prefix = "")
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(model, new ValidationContext(model), results, validateAllProperties: true))
            return;
        var first = results[0];
        var member = first.MemberNames.FirstOrDefault() ?? "body";
        var field = JsonNamingPolicy.CamelCase.ConvertName(member);
        throw BadRequest.Field(prefix + field, Describe(first.ErrorMessage, member, field));
    }

    static string Describe(string? message, string member, string field) =>
        (message ?? "invalid value").Replace($"The {member} field", "the field", StringComparison.Ordinal)
            .Replace($"The field {member}", "the field", StringComparison.Ordinal)
            .Replace(member, field, StringComparison.Ordinal);

    static bool HasAnnotations(Type type) =>
        type.IsClass && type != typeof(string) &&
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.IsDefined(typeof(ValidationAttribute), inherit: true));
}
