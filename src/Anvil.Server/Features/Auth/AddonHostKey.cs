using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Server.Features.Auth;

/// <summary>
/// The credential of this instance's addon HTTP host: a random key made at start, held in memory and
/// given only to the host process it starts (<c>ANVIL_HOST_KEY</c>). A request with
/// <c>X-Anvil-Host-Key</c> equal to it acts as the user named in <c>X-As-User</c> (the user Anvil
/// forwarded to the addon, so Anvil's access rules apply to what the addon reads), or, without one, as
/// the host's own service identity <see cref="ServiceUserName"/> (secrets, events the addon dispatches).
/// </summary>
public sealed class AddonHostKey
{
    public const string Header = "X-Anvil-Host-Key";
    public const string ServiceUserName = "anvil-addon-host";

    readonly byte[] _key = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));

    /// <summary>The key as the host gets it in its environment. Never logged, never in a response.</summary>
    public string Value => Encoding.ASCII.GetString(_key);

    public bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(_key, Encoding.ASCII.GetBytes(candidate));

    /// <summary>The host's own identity: a service user that exists only in memory.</summary>
    public static UserRecord ServiceUser { get; } = new()
    {
        Name = ServiceUserName,
        Data = new JsonObject { ["isService"] = true },
        Active = true,
    };
}
