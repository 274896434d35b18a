/** The app mark: a handset on the accent colour. */

export function Logo({ large = false }: { large?: boolean }) {
  return (
    <svg class={large ? "logo logo--large" : "logo"} viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="9" class="logo__bg" />
      <path
        class="logo__mark"
        d="M12.2 8.5c.5 0 1 .3 1.2.8l1.3 3.1c.2.5.1 1-.3 1.4l-1.5 1.3a9.6 9.6 0 0 0 4 4l1.3-1.5c.4-.4.9-.5 1.4-.3l3.1 1.3c.5.2.8.7.8 1.2V22c0 .9-.7 1.6-1.6 1.6A14.1 14.1 0 0 1 8.4 10.1c0-.9.7-1.6 1.6-1.6h2.2Z"
      />
    </svg>
  );
}
