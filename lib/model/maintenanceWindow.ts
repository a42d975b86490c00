/**
 * A cluster's planned maintenance window (`aksManagedAutoUpgradeSchedule`) as the upgrade planner
 * reads it; lib/azure converts the ARM resource into it, lib/upgrades/maintenanceWindow.ts computes
 * when it next opens (and documents the semantics).
 */
export interface DateSpan {
  /** `YYYY-MM-DD`, in the window's UTC offset. */
  start: string;
  /** `YYYY-MM-DD`, in the window's UTC offset; the day is blocked too. */
  end: string;
}

export interface MaintenanceWindowSpec {
  schedule: {
    daily?: { intervalDays: number };
    weekly?: { intervalWeeks: number; dayOfWeek: string };
    absoluteMonthly?: { intervalMonths: number; dayOfMonth: number };
    relativeMonthly?: { intervalMonths: number; weekIndex: string; dayOfWeek: string };
  };
  durationHours: number;
  /** `+05:30`, `-08:00`; default UTC. */
  utcOffset?: string;
  /** `YYYY-MM-DD`: the first day the schedule applies. */
  startDate?: string;
  /** `HH:mm` in the window's offset. */
  startTime: string;
  /** Blackouts: no maintenance starts inside these days. */
  notAllowedDates?: DateSpan[];
}
