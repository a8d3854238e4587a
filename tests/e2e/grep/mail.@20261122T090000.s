Sun Nov 22 08:59:58 2026 Info: TDC: MID 2 was generated based on MID 1 for policy DEFAULT
Sun Nov 22 08:59:58 2026 Info: MID 1 queued for delivery
Sun Nov 22 08:59:58 2026 Info: TDC: MID 2 with Message-ID '<e2e.1@outside.test>' queued for delivery to Message Intake Address journal@intake.test
Sun Nov 22 08:59:59 2026 Info: New SMTP DCID 1 interface 127.0.0.1 address 127.0.0.1 port 47713
Sun Nov 22 08:59:59 2026 Info: Delivery start DCID 1 MID 1 to RID [0]
Sun Nov 22 08:59:59 2026 Info: Message done DCID 1 MID 1 to RID [0]
Sun Nov 22 09:00:00 2026 Info: TDC: Delivery start DCID 2 MID 2
Sun Nov 22 09:00:00 2026 Info: TDC: MID 2 successfully delivered for scanning with Email Threat Defense
