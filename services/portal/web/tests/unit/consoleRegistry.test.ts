import { describe, expect, it } from 'vitest'
import {
  auditActionLabel,
  auditNames,
  auditRecord,
  auditWho,
  careLabels,
  classNames,
  gradeLabel,
  mustBeVisited,
  roleLabels,
  sortClasses,
  studentChanges,
  studentEditProblem,
  type SchoolClass,
} from '../../src/lib/console/registry'

function klass(class_id: string, grade: number, name: string): SchoolClass {
  return { class_id, school_id: 'sch-1', grade, name, head_teacher_id: null, status: 'active', enrolled_count: 0, version: 1 }
}

describe("the registry's words in the console", () => {
  it('names care categories in Chinese, in the roster\'s column order, unknown ones kept last', () => {
    expect(careLabels(['hardship', 'left_behind', 'something_new'])).toEqual(['留守儿童', '困难家庭', 'something_new'])
    expect(careLabels(null)).toEqual([])
    expect(careLabels(['single_parent'], 'en')).toEqual(['Single parent'])
  })

  it('marks a student of 三必访 (left-behind, hardship, special attention) but not a single-parent one', () => {
    expect(mustBeVisited(['special_attention'])).toBe(true)
    expect(mustBeVisited(['single_parent', 'disability'])).toBe(false)
    expect(mustBeVisited(undefined)).toBe(false)
  })

  it('names staff roles in Chinese, the school admin first', () => {
    expect(roleLabels(['subject_teacher', 'head_teacher'])).toBe('班主任、科任教师')
    expect(roleLabels(['head_teacher', 'school_admin'])).toBe('学校管理员、班主任')
  })

  it('names grades in Chinese numerals', () => {
    expect(gradeLabel(3)).toBe('三年级')
    expect(gradeLabel(12)).toBe('十二年级')
    expect(gradeLabel(3, 'en')).toBe('Grade 3')
  })

  it('orders classes by grade, then 2班 before 10班', () => {
    const sorted = sortClasses([klass('c', 2, '二年级10班'), klass('a', 1, '一年级1班'), klass('b', 2, '二年级2班')])
    expect(sorted.map((c) => c.class_id)).toEqual(['a', 'b', 'c'])
  })

  it("names the classes a teacher teaches, ignoring one the school no longer lists", () => {
    const classes = [klass('c1', 3, '三年级1班'), klass('c2', 3, '三年级2班')]
    expect(classNames(['c2', 'gone', 'c1'], classes)).toEqual(['三年级1班', '三年级2班'])
    expect(classNames(undefined, classes)).toEqual([])
  })
})

describe('saving a student over someone else', () => {
  it('sends only what changed, the name trimmed and the categories once each', () => {
    const student = { name: '王小明', care_categories: ['left_behind'] }
    expect(studentChanges(student, { name: ' 王小明 ', care_categories: ['left_behind'] })).toEqual({})
    expect(studentChanges(student, { name: '王晓明', care_categories: ['left_behind'] })).toEqual({ name: '王晓明' })
    expect(studentChanges(student, { name: '王小明', care_categories: ['hardship', 'left_behind', 'hardship'] })).toEqual({
      care_categories: ['hardship', 'left_behind'],
    })
  })

  it('never sends care categories for a reader who cannot see them', () => {
    expect(studentChanges({ name: '王小明', care_categories: null }, { name: '王小明', care_categories: ['hardship'] })).toEqual({})
  })

  it('refuses an empty name and one longer than the registry keeps', () => {
    expect(studentEditProblem({ name: '  ', care_categories: [] })).toBe('registry.student.nameRequired')
    expect(studentEditProblem({ name: '张'.repeat(31), care_categories: [] })).toBe('registry.student.nameTooLong')
    expect(studentEditProblem({ name: '张'.repeat(30), care_categories: [] })).toBeNull()
  })
})

describe('the audit log', () => {
  it('names each action in Chinese and whoever did it by the name the school knows', () => {
    expect(auditActionLabel('read:guardian-contact')).toBe('查看家长完整联系方式')
    expect(auditActionLabel('change:roster_imports')).toBe('导入花名册')
    expect(auditWho({ who: 'stf-1', role: 'school_admin' }, { 'stf-1': '李校长' })).toBe('李校长（学校管理员）')
    expect(auditWho({ who: 'stf-9', role: 'bureau' }, {})).toBe('stf-9（教育局）')
  })

  it("names the guardians and students it records, where the school's classes list them", () => {
    const names = auditNames([{ staff_id: 'stf-1', name: '李校长' }], [{ student_id: 'stu-1', name: '王小明' }], [{ guardian_id: 'gdn-1', name: '王芳' }])
    expect(auditRecord({ record_id: 'gdn-1' }, names)).toBe('王芳')
    expect(auditRecord({ record_id: 'stu-1' }, names)).toBe('王小明')
    expect(auditRecord({ record_id: 'imp-7' }, names)).toBe('imp-7')
    expect(auditWho({ who: 'gdn-1', role: 'guardian' }, names)).toBe('王芳（家长）')
  })
})
