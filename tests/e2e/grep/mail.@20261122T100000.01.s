Sun Nov 22 10:00:00 2026 Info: Start MID 4 ICID 0
Sun Nov 22 10:00:00 2026 Info: MID 4 ICID 0 From: <>
Sun Nov 22 10:00:00 2026 Info: MID 4 ICID 0 RID 0 To: <sender@outside.test>
Sun Nov 22 10:00:00 2026 Info: Message finished MID 3 done
