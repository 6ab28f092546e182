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
        Field<NonNullGraphType<BooleanGraphType>>("isStagingAllowed").Description("May use the staging bundle: admins, developers and users flagged so.")
            .Resolve(c => c.Source.IsAdmin || Flag(c.Source, "isDeveloper") || Flag(c.Source, "isStagingAllowed"));
        Field<NonNullGraphType<BooleanGraphType>>("disablePasswordLogin").Resolve(c => Flag(c.Source, "disablePasswordLogin"));
        Field<NonNullGraphType<BooleanGraphType>>("deleted").Description("Deleted users are gone here, so always false.").Resolve(_ => false);
        // Licence pools and e-mail invitations are AYON cloud features: never set here.
        Field<StringGraphType>("userPool").Resolve(_ => null);
        AddField(GraphTypes.Field("inviteSentAt", GraphTypes.DateTimeType, _ => null));
        AddField(GraphTypes.Field("inviteAcceptedAt", GraphTypes.DateTimeType, _ => null));
        AddField(GraphTypes.Field("attrib", new NonNullGraphType(new GraphQLTypeReference(AttribTypeName)),
            c => Discloses(c) ? ((UserRecord)c.Source!).Attrib : new JsonObject(((UserRecord)c.Source!).Attrib.Where(a => PublicAttributes.Contains(a.Key))
                .Select(a => KeyValuePair.Create(a.Key, a.Value?.DeepClone()))),
            "The user's attributes (those of user scope): all of them for managers and the user, else only how to show them."));
        Field<NonNullGraphType<StringGraphType>>("allAttrib")
            .Resolve(c => (Discloses(c) ? c.Source.Attrib : new JsonObject(c.Source.Attrib.Where(a => PublicAttributes.Contains(a.Key))
                .Select(a => KeyValuePair.Create(a.Key, a.Value?.DeepClone())))).ToJsonString());
    }

    /// <summary>The type of <c>attrib</c>, built from the attribute library with the schema (<see cref="AyonSchema"/>).</summary>
    public const string AttribTypeName = "UserAttribType";

    static bool Flag(UserRecord user, string key) => user.Data[key]?.GetValueKind() == System.Text.Json.JsonValueKind.True;

    /// <summary>What anyone who may see a user may read of them: how to show them, not how to reach or what they may do.</summary>
    static readonly HashSet<string> PublicAttributes = ["fullName", "avatarUrl"];

    /// <summary>Managers see everything of every user; others everything of themselves only.</summary>
    static bool Discloses(IResolveFieldContext context) =>
        context.CurrentUser() is var viewer && (viewer.IsManager || viewer.Name == ((UserRecord)context.Source!).Name);
}
