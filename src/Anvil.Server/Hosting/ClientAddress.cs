using System.Net;

namespace Anvil.Server.Hosting;

/// <summary>The client's address: the first X-Forwarded-For hop when the peer is a proxy on a private network, else the peer.</summary>
public static class ClientAddress
{
    public static string Of(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (peer is null || IsPrivate(peer))
        {
            var forwarded = context.Request.Headers["X-Forwarded-For"].ToString().Split(',')[0].Trim();
            if (IPAddress.TryParse(forwarded, out var client))
                return client.ToString();
        }
        return peer?.ToString() ?? "local";
    }

    static bool IsPrivate(IPAddress address)
    {
        if (IPAddress.IsLoopback(address))
            return true;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        return bytes.Length == 4
            ? bytes[0] == 10 || (bytes[0] == 172 && bytes[1] is >= 16 and <= 31) || (bytes[0] == 192 && bytes[1] == 168)
            : address.IsIPv6UniqueLocal || address.IsIPv6LinkLocal;
    }
}
