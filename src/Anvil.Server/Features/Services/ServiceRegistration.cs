namespace Anvil.Server.Features.Services;

public static class ServiceRegistration
{
    /// <summary>Services and hosts (ASH), and the secrets they read.</summary>
    public static IServiceCollection AddServicesAndSecrets(this IServiceCollection services)
    {
        services.AddSingleton<ServiceStore>();
        services.AddSingleton<SecretCipher>();
        services.AddSingleton<SecretStore>();
        return services;
    }
}
