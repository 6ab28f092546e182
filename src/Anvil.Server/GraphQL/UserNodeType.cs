using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using GraphQL;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>A user as GraphQL shows it. JSON fields are strings, as AYON's; no credential is reachable.</summary>
public sealed class UserNodeType : ObjectGraphType<UserRecord>
{
    public UserNodeType()
    {
        Name = "UserNode";
        Field(u => u.Name);
        Field(u => u.Active);
        Field(u => u.CreatedAt);
        Field(u => u.UpdatedAt);
        Field(u => u.IsAdmin);
        Field(u => u.IsManager);
        Field(u => u.IsService);
        Field(u => u.IsGuest);
        Field<NonNullGraphType<BooleanGraphType>>("isDeveloper").Resolve(c => c.Source.Data["isDeveloper"]?.GetValueKind() == System.Text.Json.JsonValueKind.True);
        Field<NonNullGraphType<StringGraphType>>("userLevel").Resolve(c => c.Source.Level);
        Field<NonNullGraphType<BooleanGraphType>>("hasPassword").Resolve(c => Discloses(c) && c.Source.PasswordHash is not null);
        Field<NonNullGraphType<StringGraphType>>("accessGroups")
            .Resolve(c => (Discloses(c) ? c.Source.Data["accessGroups"] ?? new JsonObject() : new JsonObject()).ToJsonString());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("defaultAccessGroups")
            .Resolve(c => Discloses(c) ? c.Source.Data["defaultAccessGroups"]?.AsArray().Select(g => g!.GetValue<string>()).ToList() ?? [] : []);
        // AYON shows a service user's legacy key preview here; Anvil's keys are listed by /api/users/{name}/apikeys.
        // The official client selects the field for every user, so it exists and is null.
        Field<StringGraphType>("apiKeyPreview").Resolve(_ => null);
        Field<NonNullGraphType<StringGraphType>>("allAttrib")
            .Resolve(c => (Discloses(c) ? c.Source.Attrib : new JsonObject(c.Source.Attrib.Where(a => PublicAttributes.Contains(a.Key))
                .Select(a => KeyValuePair.Create(a.Key, a.Value?.DeepClone())))).ToJsonString());
    }

    /// <summary>What anyone who may see a user may read of them: how to show them, not how to reach or what they may do.</summary>
    static readonly HashSet<string> PublicAttributes = ["fullName", "avatarUrl"];

    /// <summary>Managers see everything of every user; others everything of themselves only.</summary>
    static bool Discloses(IResolveFieldContext<UserRecord> context) =>
        context.CurrentUser() is var viewer && (viewer.IsManager || viewer.Name == context.Source.Name);
}
