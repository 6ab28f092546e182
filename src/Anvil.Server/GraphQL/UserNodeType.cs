using Anvil.Server.Features.Users;
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
        Field<NonNullGraphType<BooleanGraphType>>("hasPassword").Resolve(c => c.Source.PasswordHash is not null);
        Field<NonNullGraphType<StringGraphType>>("accessGroups").Resolve(c => (c.Source.Data["accessGroups"] ?? new System.Text.Json.Nodes.JsonObject()).ToJsonString());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("defaultAccessGroups")
            .Resolve(c => c.Source.Data["defaultAccessGroups"]?.AsArray().Select(g => g!.GetValue<string>()).ToList() ?? []);
        Field<NonNullGraphType<StringGraphType>>("allAttrib").Resolve(c => c.Source.Attrib.ToJsonString());
    }
}
