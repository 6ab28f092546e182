using Anvil.Server.Features.Auth;

namespace Anvil.Server.Features.Users;

public static class UserEndpoints
{
    public static void MapUserEndpoints(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapGet("/me", GetCurrentUser).WithName("get_current_user")
            .WithSummary("The user the request acts as.");
    }

    static UserModel GetCurrentUser(CurrentUser user) => UserModel.From(user.User);
}
