using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Anvil.Server.Hosting;

/// <summary>
/// Runs after binding, before the handler, on every request record (the body): a list or object that
/// the record does not declare nullable but that the client sent as <c>null</c> (or left out) is a 400
/// naming the field, as are the data annotations' failures — AYON's validation shape, the field in
/// camelCase as the client sent it. (The body's text was already checked by <see cref="InputGate"/>.)
/// </summary>
public static class ValidationFilter
{
    const int MaxDepth = 32;

    public static EndpointFilterDelegate Create(EndpointFilterFactoryContext factory, EndpointFilterDelegate next)
    {
        var isService = factory.ApplicationServices.GetService<Microsoft.Extensions.DependencyInjection.IServiceProviderIsService>();
        var parameters = factory.MethodInfo.GetParameters();
        var bodies = Enumerable.Range(0, parameters.Length).Where(i => IsBody(parameters[i], isService)).ToArray();
        var annotated = Enumerable.Range(0, parameters.Length).Where(i => HasAnnotations(parameters[i].ParameterType)).ToArray();
        if (bodies.Length == 0 && annotated.Length == 0)
            return next;
        return context =>
        {
            foreach (var index in bodies)
                if (context.Arguments[index] is { } body)
                    RequireNonNull(body, "", 0);
            foreach (var index in annotated)
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

    /// <summary>Throws a 400 naming the first list or object property that is null although its type says it cannot be.</summary>
    public static void RequireNonNull(object model, string prefix, int depth)
    {
        if (depth > MaxDepth)
            return;
        foreach (var property in RequiredProperties(model.GetType()))
        {
            var value = property.Info.GetValue(model);
            var field = prefix + property.Field;
            if (value is null)
            {
                if (property.MustNotBeNull)
                    throw BadRequest.Field(field, "none is not an allowed value", "type_error.none.not_allowed");
                continue;
            }
            if (value is IEnumerable items and not string and not IDictionary and not System.Text.Json.Nodes.JsonNode)
            {
                var index = 0;
                foreach (var item in items)
                {
                    if (item is not null && IsRecordType(item.GetType()))
                        RequireNonNull(item, $"{field}.{index}.", depth + 1);
                    index++;
                }
            }
            else if (IsRecordType(value.GetType()))
                RequireNonNull(value, field + ".", depth + 1);
        }
    }

    sealed record Checked(PropertyInfo Info, string Field, bool MustNotBeNull);

    static readonly ConcurrentDictionary<Type, Checked[]> Properties = new();

    /// <summary>Properties worth visiting: non-nullable lists and objects, and records of this assembly to recurse into.</summary>
    static Checked[] RequiredProperties(Type type) => Properties.GetOrAdd(type, static t =>
    {
        var nullability = new NullabilityInfoContext();
        return t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !p.PropertyType.IsValueType && p.PropertyType != typeof(string)
                        && !p.IsDefined(typeof(JsonIgnoreAttribute)) && p.SetMethod is not null)
            .Select(p => new Checked(p,
                p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name),
                nullability.Create(p).ReadState == NullabilityState.NotNull && p.PropertyType != typeof(object)
                    && !typeof(System.Text.Json.Nodes.JsonNode).IsAssignableFrom(p.PropertyType) && p.PropertyType != typeof(JsonElement)))
            .ToArray();
    });

    static bool IsRecordType(Type type) =>
        type.IsClass && type != typeof(string) && type.Assembly == typeof(ValidationFilter).Assembly;

    /// <summary>A parameter bound from the body: a class of this assembly that is no service and binds itself no other way.</summary>
    static bool IsBody(ParameterInfo parameter, Microsoft.Extensions.DependencyInjection.IServiceProviderIsService? isService)
    {
        var type = parameter.ParameterType;
        return IsRecordType(type) && isService?.IsService(type) != true
            && !parameter.IsDefined(typeof(Microsoft.AspNetCore.Mvc.FromServicesAttribute))
            && !parameter.IsDefined(typeof(AsParametersAttribute))
            && type.GetMethod("BindAsync", BindingFlags.Public | BindingFlags.Static) is null
            && type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static) is null;
    }

    static string Describe(string? message, string member, string field) =>
        (message ?? "invalid value").Replace($"The {member} field", "the field", StringComparison.Ordinal)
            .Replace($"The field {member}", "the field", StringComparison.Ordinal)
            .Replace(member, field, StringComparison.Ordinal);

    static bool HasAnnotations(Type type) =>
        type.IsClass && type != typeof(string) &&
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.IsDefined(typeof(ValidationAttribute), inherit: true));
}
