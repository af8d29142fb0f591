"""Strings of the wall screen (大屏)."""

STRINGS: dict[str, tuple[str, str]] = {
    "page.screen": ("大屏", "Wall screen"),
    "screen.title": ("“五有”幸福新社区", "Five-have happy communities"),
    "screen.index": ("幸福指数", "Happiness index"),
    "screen.vs_last_year": ("较上年同期 {delta}", "{delta} vs last year"),
    "screen.ranking": ("{level}幸福指数排名", "{level} ranking by happiness index"),
    "screen.ranking_top": ("（前{n}名 / 共{total}个）", " (top {n} of {total})"),
    "screen.level.district": ("区县（市）", "District"),
    "screen.level.street": ("街道（乡镇）", "Street"),
    "screen.level.community": ("社区", "Community"),
    "screen.latest": ("最新录入的活动", "Latest activities recorded"),
    "screen.no_activities": ("暂无活动记录", "No activities recorded yet"),
    "screen.target": ("目标 {value}", "target {value}"),
    "screen.article": ("文章 {value}", "article {value}"),
    "screen.as_of": ("数据时间 {time}", "Data as of {time}"),
    "screen.stale": (
        "● 数据暂未更新，显示 {time} 的数据，正在重试",
        "● Data not refreshed: showing {time}, retrying",
    ),
    "screen.unavailable": ("数据暂不可用，正在重试……", "Data unavailable, retrying…"),
    "screen.link_invalid": (
        "此大屏链接已失效（已撤销或已过期），请联系管理员获取新链接。",
        "This screen link is no longer valid (revoked or expired); ask an administrator for a new "
        "one.",
    ),
    "screen.signed_out": (
        "账户已停用或登录已失效，请重新登录。",
        "This account is disabled or its sign-in has ended; please sign in again.",
    ),
    "screen.paused": ("已暂停", "Paused"),
    "screen.prev": ("上一页", "Previous"),
    "screen.exit": ("✕ 退出大屏 (Esc)", "✕ Leave the wall screen (Esc)"),
    "screen.exit_help": (
        "回到看板，保留所选地区和时间段",
        "Back to the dashboards, same region and period",
    ),
    "screen.next": ("下一页", "Next"),
    "screen.pause": ("暂停/继续", "Pause/resume"),
    "screen.bad_param": (
        "大屏参数 {name}=“{value}” 无效，已用默认值。",
        "Screen setting {name}=“{value}” is not valid; using the default.",
    ),
    "screen.slide": ("{n}/{total}", "{n}/{total}"),
}
